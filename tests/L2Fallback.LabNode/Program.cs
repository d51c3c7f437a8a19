// One lab node for the L2 failover tests: liveness + election + announcer on the interfaces of the
// network namespace it is started in (`ip netns exec NS dotnet BgpLb.L2Fallback.LabNode.dll ...`).
// It stands in for the daemon until the daemon wires the library itself. Every line it prints is an
// event the tests read: "ready", "owned VIP,...", "announced VIP IFACE UNIX_MS", "member NAME STATUS UNIX_MS",
// and "counters ..." in answer to the line "counters IFACE" on standard input.
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using BgpLb.Allocator;
using BgpLb.L2Fallback;
using BgpLb.L2Fallback.Election;
using BgpLb.L2Fallback.Liveness;
using BgpLb.L2Fallback.Transport;
using Microsoft.Extensions.Logging.Abstractions;

var arguments = LabArguments.Parse(args);
var output = Console.Out;
var writeLock = new Lock();
void Emit(string line)
{
    lock (writeLock)
    {
        output.WriteLine(line);
        output.Flush();
    }
}
long UnixMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

var links = NetworkLinks.Read();
await using var announcer = new L2Announcer(links, new L2AnnouncerOptions(), TimeProvider.System, NullLogger.Instance);
announcer.Announced += e => Emit(string.Create(CultureInfo.InvariantCulture, $"announced {e.Vip} {e.Interface} {e.At.ToUnixTimeMilliseconds()}"));
await using var liveness = new HeartbeatLiveness(arguments.Node, arguments.Listen, arguments.Members, arguments.Key,
    new LivenessOptions(), TimeProvider.System, NullLogger.Instance);
using var controller = new L2Controller(arguments.Node, announcer, liveness, links, DefaultRoutes.Read());
var lastOwned = "";
void ReportOwned()
{
    lock (writeLock)
    {
        var owned = string.Join(',', announcer.Owned.Select(o => o.Address.ToString()).Order(StringComparer.Ordinal));
        if (owned == lastOwned)
        {
            return;
        }
        lastOwned = owned;
        output.WriteLine("owned " + owned);
        output.Flush();
    }
}
liveness.Changed += change =>
{
    Emit(string.Create(CultureInfo.InvariantCulture, $"member {change.Name} {change.Status} {UnixMs()}"));
    ReportOwned();
};

var nodes = arguments.Members.Select(m => new ElectionNode(m.Name, ImmutableDictionary<string, string>.Empty)).ToImmutableArray();
var everyNode = arguments.Members.Select(m => m.Name).ToImmutableHashSet();
var services = arguments.Vips.Select((addresses, i) => new L2Service(
    "lab/svc" + i.ToString(CultureInfo.InvariantCulture),
    addresses,
    new ElectionRequest(addresses[0], [[]], ExternalTrafficPolicy.Cluster, everyNode),
    arguments.Interfaces)).ToImmutableArray();

liveness.Start();
controller.Update(nodes, services);
Emit("ready");
ReportOwned();

// Also re-check after the startup grace, when unknown members turn dead without a message.
using var grace = new Timer(_ => { controller.Reconcile(); ReportOwned(); }, null, TimeSpan.FromMilliseconds(600), Timeout.InfiniteTimeSpan);

var stop = new TaskCompletionSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.TrySetResult();
});
_ = Task.Run(() =>
{
    while (Console.In.ReadLine() is { } command)
    {
        // "counters IFACE": every non-zero counter of that interface, one line.
        if (command.StartsWith("counters ", StringComparison.Ordinal))
        {
            var counters = announcer.CountersFor(command[9..]);
            var parts = Enum.GetValues<L2DropReason>().Select(r => $"arp.{r}={counters.Arp(r)} ndp.{r}={counters.Ndp(r)}")
                .Append($"garp={counters.GratuitousArps} una={counters.UnsolicitedAdvertisements}");
            Emit("counters " + string.Join(' ', parts));
        }
    }
    stop.TrySetResult();
});
await stop.Task;
Emit("stopping");

internal sealed record LabArguments(string Node, IPEndPoint Listen, ImmutableArray<LivenessMember> Members, byte[] Key,
    ImmutableArray<ImmutableArray<IPAddress>> Vips, ImmutableArray<string> Interfaces)
{
    public static LabArguments Parse(string[] args)
    {
        string? node = null;
        IPEndPoint? listen = null;
        byte[]? key = null;
        var members = ImmutableArray.CreateBuilder<LivenessMember>();
        var vips = ImmutableArray.CreateBuilder<ImmutableArray<IPAddress>>();
        var interfaces = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--node": node = value; break;
                case "--listen": listen = IPEndPoint.Parse(value); break;
                case "--key": key = Convert.FromHexString(value); break;
                case "--member":
                    var parts = value.Split('=', 2);
                    members.Add(new LivenessMember(parts[0], IPEndPoint.Parse(parts[1])));
                    break;
                case "--vip": vips.Add([.. value.Split(',').Select(IPAddress.Parse)]); break;
                case "--interface": interfaces.Add(value); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new LabArguments(
            node ?? throw new ArgumentException("--node is required"),
            listen ?? throw new ArgumentException("--listen is required"),
            members.ToImmutable(),
            key ?? throw new ArgumentException("--key is required"),
            vips.ToImmutable(),
            interfaces.ToImmutable());
    }
}
