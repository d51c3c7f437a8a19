using System.Globalization;
using System.Text;
using BgpLb.Admin.V1;

namespace BgpLb.Ctl;

/// <summary>The read-only verbs: one call each, printed as aligned tables (or JSON / YAML).</summary>
internal static class Views
{
    public static async Task<int> Peers(Context c)
    {
        var response = await c.Client().ListPeersAsync(new ListPeersRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            var table = new Table("NAME", "ADDRESS", "AS", "STATE", "UPTIME", "SENT", "RCVD", "UPDATES-OUT/IN", "INFO");
            foreach (var p in response.Peers)
            {
                table.Add(p.Name, p.Address, Number(p.PeerAsn), p.State, Commands.Ago(p.Uptime), Number(p.PrefixesAdvertised), Number(p.PrefixesReceived),
                    $"{Number(p.UpdatesSent)}/{Number(p.UpdatesReceived)}", Info(p));
            }
            return table.ToString();
        });
    }

    /// <summary>What an operator needs first about a session that is not up, as birdc's Info column says it.</summary>
    private static string Info(Peer p) =>
        p.State == "Established" ? (p.BfdState.Length > 0 ? "BFD " + p.BfdState : "")
        : p.LastNotificationReceived is { } received && (p.LastNotificationSent is null || received.Time.ToDateTimeOffset() >= p.LastNotificationSent.Time.ToDateTimeOffset())
            ? "received " + Describe(received)
        : p.LastNotificationSent is { } sent ? "sent " + Describe(sent)
        : p.LastError.Length > 0 ? p.LastError
        : p.LastDownReason;

    private static string Describe(Notification n) => n.Communication.Length > 0 ? $"{n.Text} \"{n.Communication}\"" : n.Text;

    public static async Task<int> Peer(Context c, string name)
    {
        var p = await c.Client().GetPeerAsync(new GetPeerRequest { Name = name }, deadline: c.Deadline);
        return await Commands.Emit(c, p, () =>
        {
            var text = new StringBuilder();
            void Line(string label, string value) => text.Append(CultureInfo.InvariantCulture, $"  {label + ":",-28}{value}\n");
            text.Append(CultureInfo.InvariantCulture, $"{p.Name}  {p.Address}:{p.Port}  {p.State}\n");
            Line("Local AS / peer AS", $"{p.LocalAsn} / {p.PeerAsn} ({(p.Internal ? "iBGP" : "eBGP")})");
            Line("Established since", $"{Commands.Time(p.EstablishedSince)} (up {Commands.Ago(p.Uptime)})");
            Line("Peer router ID", p.PeerRouterId.Length > 0 ? p.PeerRouterId : "-");
            Line("Hold time / keepalive", p.HoldTimeSeconds == 0 && p.State != "Established" ? "-" : $"{p.HoldTimeSeconds} s / {p.KeepaliveSeconds} s");
            Line("Families", Commands.Join(p.Families));
            Line("Capabilities", Commands.Join(p.Capabilities));
            Line("Prefixes advertised", Number(p.PrefixesAdvertised));
            Line("Prefixes received", Number(p.PrefixesReceived));
            Line("UPDATEs sent / received", $"{Number(p.UpdatesSent)} / {Number(p.UpdatesReceived)}");
            Line("Flaps", Number(p.Flaps));
            Line("BFD", p.BfdState.Length > 0 ? p.BfdState : "-");
            Line("Last down reason", p.LastDownReason.Length > 0 ? p.LastDownReason : "-");
            Line("Last connection error", p.LastError.Length > 0 ? p.LastError : "-");
            Line("Last NOTIFICATION sent", p.LastNotificationSent is { } s ? $"{Describe(s)} at {Commands.Time(s.Time)}" : "-");
            Line("Last NOTIFICATION received", p.LastNotificationReceived is { } r ? $"{Describe(r)} at {Commands.Time(r.Time)}" : "-");
            return text.ToString();
        });
    }

    public static async Task<int> Routes(Context c, string peer, bool received)
    {
        var response = await c.Client().ListRoutesAsync(new ListRoutesRequest { Peer = peer, Received = received }, deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            var table = new Table("PREFIX", "NEXT-HOP", "LOCAL-PREF", "MED", "AS-PATH", "COMMUNITIES");
            foreach (var r in response.Routes)
            {
                table.Add(r.Prefix, r.NextHop.Length > 0 ? r.NextHop : received ? "-" : "(session address)",
                    r.HasLocalPref ? Number(r.LocalPref) : "-", r.HasMed ? Number(r.Med) : "-",
                    r.AsPath.Length > 0 ? r.AsPath : "-", Commands.Join(r.Communities.Concat(r.LargeCommunities)));
            }
            return table.ToString();
        });
    }

    public static async Task<int> Vips(Context c)
    {
        var response = await c.Client().ListVipsAsync(new ListVipsRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            var table = new Table("SERVICE", "ADDRESSES", "POOL", "PEER", "ADVERTISED", "WHY NOT / NOTE");
            // L2-announced Services (docs/l2.md) get a table of their own: owner, interfaces here, why not here.
            var layer2 = new Table("SERVICE", "ADDRESSES", "POOL", "L2-OWNER", "INTERFACES", "WHY NOT HERE");
            foreach (var v in response.Vips)
            {
                var addresses = string.Join(",", v.Addresses);
                var isL2 = v.L2Owner.Length > 0 || v.L2NotOwnerReason.Length > 0;
                if (isL2)
                {
                    layer2.Add(v.Service, addresses, v.Pool, v.L2Owner.Length > 0 ? v.L2Owner : "-",
                        v.L2Interfaces.Count > 0 ? string.Join(",", v.L2Interfaces) : "-", v.L2NotOwnerReason.Length > 0 ? v.L2NotOwnerReason : "-");
                }
                if (v.Peers.Count == 0 && !isL2)
                {
                    table.Add(v.Service, addresses, v.Pool, "-", "no", v.NotAnnounced.Length > 0 ? v.NotAnnounced : "no BGP peer is configured");
                }
                foreach (var p in v.Peers)
                {
                    table.Add(v.Service, addresses, v.Pool, p.Peer, p.Advertised ? "yes" : "no", p.Reason.Length > 0 ? p.Reason : "-");
                }
            }
            return layer2.Rows == 0 ? table.ToString() : table.Rows == 0 ? layer2.ToString() : table + "\n" + layer2;
        });
    }

    public static async Task<int> Pools(Context c)
    {
        var response = await c.Client().ListPoolsAsync(new ListPoolsRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            var table = new Table("POOL", "IPV4-IN-USE", "IPV4-AVAILABLE", "IPV6-IN-USE", "IPV6-AVAILABLE");
            foreach (var p in response.Pools)
            {
                table.Add(p.Name, p.Ipv4InUse, p.Ipv4Available, p.Ipv6InUse, p.Ipv6Available);
            }
            return table.ToString();
        });
    }

    public static async Task<int> Bfd(Context c)
    {
        var response = await c.Client().ListBfdAsync(new ListBfdRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            var table = new Table("PEER", "REMOTE", "LOCAL", "STATE", "DIAGNOSTIC", "DETECTION");
            foreach (var s in response.Sessions)
            {
                table.Add(s.Peer, s.RemoteAddress, s.LocalAddress, s.State, s.Diagnostic,
                    string.Create(CultureInfo.InvariantCulture, $"{s.DetectionTime.ToTimeSpan().TotalMilliseconds:0} ms"));
            }
            return table.ToString();
        });
    }

    public static async Task<int> L2(Context c)
    {
        var response = await c.Client().GetL2Async(new GetL2Request(), deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            if (!response.Running)
            {
                return response.Reason + "\n";
            }
            var table = new Table("VIP", "INTERFACE", "OWNER");
            foreach (var v in response.Vips)
            {
                table.Add(v.Address, v.Interface, v.Owner);
            }
            return table.ToString();
        });
    }

    public static async Task<int> Config(Context c)
    {
        var response = await c.Client().GetConfigAsync(new GetConfigRequest(), deadline: c.Deadline);
        return await Commands.Emit(c, response, () =>
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"config   {response.Path}\nnode     {response.Node}\napplied  {Commands.Time(response.LoadedAt)}\n");
            if (response.LastErrors.Count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"rejected {Commands.Time(response.LastErrorAt)} (the files are newer than the running config):\n");
                foreach (var e in response.LastErrors)
                {
                    text.Append("  ").Append(e).Append('\n');
                }
            }
            var table = new Table("KIND", "COUNT", "NAMES");
            foreach (var (kind, names) in response.Objects.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                table.Add(kind, Number(names.Names.Count), names.Names.Count > 10 ? Commands.Join(names.Names.Take(10)) + " …" : Commands.Join(names.Names));
            }
            return text.Append(table).ToString();
        });
    }

    public static string Number(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
