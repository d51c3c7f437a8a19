using System.Globalization;
using BgpLb.Admin.V1;
using V1 = BgpLb.Admin.V1;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.Admin;

/// <summary>
/// The admin API (protos/bgplb/admin/v1/admin.proto): reads the daemon's one status model and
/// carries out the operator's actions. Errors are gRPC statuses whose detail names what was wrong
/// (NotFound for an unknown peer, FailedPrecondition for a daemon that has not applied a config yet).
/// </summary>
internal sealed class AdminService(DaemonHost host, AdminEvents events, TimeProvider time, ILogger log) : V1.Admin.AdminBase
{
    /// <summary>How long a reload asked for by the API may take before the call gives up waiting (the reload goes on).</summary>
    private static readonly TimeSpan ReloadWait = TimeSpan.FromSeconds(60);

    private int _reloads;

    public override async Task<ListPeersResponse> ListPeers(ListPeersRequest request, ServerCallContext context)
    {
        var bfd = await BfdStatesAsync(context.CancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var response = new ListPeersResponse();
        response.Peers.AddRange(host.Speaker.Peers.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => AdminViews.Peer(p, bfd.GetValueOrDefault(p.Name), now)));
        return response;
    }

    public override async Task<Peer> GetPeer(GetPeerRequest request, ServerCallContext context)
    {
        var status = host.Speaker.Peers.FirstOrDefault(p => p.Name == request.Name) ?? throw NoPeer(request.Name);
        var bfd = await BfdStatesAsync(context.CancellationToken).ConfigureAwait(false);
        return AdminViews.Peer(status, bfd.GetValueOrDefault(status.Name), time.GetUtcNow());
    }

    public override async Task<ListRoutesResponse> ListRoutes(ListRoutesRequest request, ServerCallContext context)
    {
        var status = host.Speaker.Peers.FirstOrDefault(p => p.Name == request.Peer) ?? throw NoPeer(request.Peer);
        var response = new ListRoutesResponse { Peer = request.Peer, Received = request.Received };
        if (request.Received)
        {
            var received = await host.Speaker.GetReceivedRoutesAsync(request.Peer, context.CancellationToken).ConfigureAwait(false);
            response.Routes.AddRange(received.OrderBy(r => r.Nlri.Prefix).Select(AdminViews.Received));
        }
        else
        {
            var internalPeer = status.Negotiated is { } negotiated ? !negotiated.IsExternal : status.Options?.IsInternal ?? false;
            response.Routes.AddRange(host.Speaker.RoutesFor(request.Peer).Select(r => AdminViews.Advertised(r, internalPeer)));
        }
        return response;
    }

    public override Task<ListVipsResponse> ListVips(ListVipsRequest request, ServerCallContext context)
    {
        var response = new ListVipsResponse();
        response.Vips.AddRange(AdminViews.Vips(host, host.Options.NodeName));
        return Task.FromResult(response);
    }

    public override Task<ListPoolsResponse> ListPools(ListPoolsRequest request, ServerCallContext context)
    {
        var response = new ListPoolsResponse();
        response.Pools.AddRange(host.PoolUsage.Select(AdminViews.Pool));
        return Task.FromResult(response);
    }

    public override async Task<ListBfdResponse> ListBfd(ListBfdRequest request, ServerCallContext context)
    {
        var response = new ListBfdResponse();
        var sessions = await host.BfdStatusAsync(context.CancellationToken).ConfigureAwait(false);
        response.Sessions.AddRange(sessions.OrderBy(s => s.Peer, StringComparer.Ordinal).Select(s => new V1.BfdSession
        {
            Peer = s.Peer,
            RemoteAddress = s.Session.Address.ToString(),
            LocalAddress = s.Session.LocalAddress.ToString(),
            // No status: the BFD worker is being replaced (docs/bfd.md); said, not guessed.
            State = s.Status?.State.ToString() ?? "Unknown",
            Diagnostic = s.Status?.LocalDiagnostic.ToString() ?? "",
            DetectionTime = Duration.FromTimeSpan(s.Status?.DetectionTime ?? TimeSpan.Zero),
        }));
        return response;
    }

    public override Task<L2Status> GetL2(GetL2Request request, ServerCallContext context)
    {
        var report = host.Layer2Status();
        var status = new L2Status
        {
            Running = report.Problem is null && !report.Vips.IsEmpty,
            Reason = report.Problem ?? (report.Vips.IsEmpty ? "L2 (ARP/NDP) is not running: no L2Advertisement selects a VIP on this node" : ""),
        };
        status.Vips.AddRange(report.Vips.Select(v => new L2Vip { Address = v.Address.ToString(), Owner = v.Owner ?? "", Interface = string.Join(",", v.Interfaces) }));
        return Task.FromResult(status);
    }

    public override Task<ConfigStatus> GetConfig(GetConfigRequest request, ServerCallContext context)
    {
        var snapshot = host.Current ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "no configuration has been applied yet"));
        var status = new ConfigStatus { Path = host.Options.Source?.Description ?? Path.GetFullPath(host.Options.ConfigPath), Node = host.Options.NodeName };
        if (host.ConfigAppliedAt is { } applied)
        {
            status.LoadedAt = Timestamp.FromDateTimeOffset(applied);
        }
        if (host.LastRejected is { } rejected)
        {
            status.LastErrorAt = Timestamp.FromDateTimeOffset(rejected.Time);
            status.LastErrors.AddRange(rejected.Errors);
        }
        static string Name(string ns, string name) => ns.Length == 0 ? name : ns + "/" + name;
        void Add(string kind, IEnumerable<string> names)
        {
            var list = new ObjectNames();
            list.Names.AddRange(names);
            status.Objects[kind] = list;
        }
        Add("IPAddressPool", snapshot.Pools.Select(p => p.Pool.Name));
        Add("BGPPeer", snapshot.Peers.Select(p => Name(p.Namespace, p.Name)));
        Add("BGPAdvertisement", snapshot.BgpAdvertisements.Select(a => a.Name));
        Add("L2Advertisement", snapshot.L2Advertisements.Select(a => a.Name));
        Add("BFDProfile", snapshot.BfdProfiles.Select(p => p.Name));
        Add("Community", snapshot.Communities.Select(c => c.Name));
        Add("Service", snapshot.Services.Select(s => s.Key.ToString()));
        return Task.FromResult(status);
    }

    public override async Task<ReloadResponse> Reload(ReloadRequest request, ServerCallContext context)
    {
        var id = "admin reload " + Interlocked.Increment(ref _reloads).ToString(CultureInfo.InvariantCulture);
        Log.AdminAction(log, "reload", id);
        // Subscribe before asking, so the outcome cannot pass unseen; the trigger of the apply names every request it served.
        using var watch = events.Subscribe();
        host.RequestReload(id, immediate: true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(ReloadWait);
        try
        {
            await foreach (var e in watch.Reader.ReadAllAsync(timeout.Token).ConfigureAwait(false))
            {
                if (e.Kind is DaemonEvent.ConfigApplied or DaemonEvent.ConfigRejected && e.Subject.Split(", ").Contains(id))
                {
                    var response = new ReloadResponse { Applied = e.Kind == DaemonEvent.ConfigApplied };
                    if (!response.Applied)
                    {
                        response.Errors.AddRange(e.Message.Split('\n'));
                    }
                    return response;
                }
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Fall through: the reload is still running.
        }
        throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the reload was asked for but had not finished after {ReloadWait.TotalSeconds:0} s; see the daemon's log"));
    }

    public override Task<ValidateResponse> Validate(ValidateRequest request, ServerCallContext context)
    {
        if (request.Files.Count > 0 && (request.FileName.Length > 0 || request.Content.Length > 0))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "give either file_name and content (one file) or files (a folder), not both"));
        }
        // The very loader a reload uses: the same errors, the same warnings (bgplb validate prints them alike).
        // A folder's files are read in name order (ordinal), as a reload of the folder reads them.
        var result = request.Files.Count > 0
            ? ConfigLoader.LoadTexts([.. request.Files.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => (f.Name, f.Content))])
            : ConfigLoader.LoadText(request.FileName.Length == 0 ? "config.yaml" : request.FileName, request.Content);
        var response = new ValidateResponse { Valid = result.Snapshot is not null };
        response.Errors.AddRange(result.Errors.Select(e => e.ToString()));
        response.Warnings.AddRange(result.Diagnostics.Where(d => d.Severity == Severity.Warning).Select(d => d.ToString()));
        if (result.Snapshot is { } snapshot)
        {
            response.Summary = string.Create(CultureInfo.InvariantCulture,
                $"{snapshot.Pools.Length} pools, {snapshot.Peers.Length} BGP peers, {snapshot.BgpAdvertisements.Length} BGP advertisements, {snapshot.L2Advertisements.Length} L2 advertisements, {snapshot.Services.Length} Services");
        }
        return Task.FromResult(response);
    }

    public override async Task<ResetPeerResponse> ResetPeer(ResetPeerRequest request, ServerCallContext context)
    {
        Log.AdminAction(log, request.Soft ? "soft reset of peer" : "hard reset of peer", request.Name);
        bool done;
        try
        {
            done = await host.Speaker.ResetPeerAsync(request.Name, request.Soft, context.CancellationToken).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            throw NoPeer(request.Name);
        }
        if (!done)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"peer {request.Name} is not Established: there is no session to refresh (a hard reset restarts it)"));
        }
        return new ResetPeerResponse();
    }

    public override Task<DrainStatus> Drain(DrainRequest request, ServerCallContext context) =>
        Task.FromResult(ChangeDrain("drain", host.NodeDrain.Start, $"not drained: the drained state could not be saved to {host.NodeDrain.Path}"));

    public override Task<DrainStatus> Undrain(UndrainRequest request, ServerCallContext context) =>
        Task.FromResult(ChangeDrain("undrain", host.NodeDrain.Stop, $"still drained: {host.NodeDrain.Path} could not be removed"));

    /// <summary>A drain or undrain; a drained state that cannot be written is the caller's error to see, not a silent success.</summary>
    private DrainStatus ChangeDrain(string action, Action change, string failure)
    {
        Log.AdminAction(log, action, host.Options.NodeName);
        try
        {
            change();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{failure}: {e.Message}"));
        }
        return AdminViews.Drain(host.NodeDrain);
    }

    public override Task<DrainStatus> GetDrain(GetDrainRequest request, ServerCallContext context) =>
        Task.FromResult(AdminViews.Drain(host.NodeDrain));

    public override async Task Watch(WatchRequest request, IServerStreamWriter<Event> responseStream, ServerCallContext context)
    {
        using var watch = events.Subscribe();
        try
        {
            await foreach (var e in watch.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(new Event { Time = Timestamp.FromDateTimeOffset(e.Time), Kind = e.Kind, Subject = e.Subject, Message = e.Message }, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task<Dictionary<string, string>> BfdStatesAsync(CancellationToken cancellationToken) =>
        (await host.BfdStatusAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(s => s.Peer, s => s.Status?.State.ToString() ?? "Unknown", StringComparer.Ordinal);

    private static RpcException NoPeer(string name) => new(new Status(StatusCode.NotFound, $"no BGP peer named \"{name}\" on this node"));
}
