using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Model;

/// <summary>
/// Reads a YAML file, or every *.yaml / *.yml file of a folder (in name order), multi-document and
/// Kubernetes-shaped, into one <see cref="ConfigSnapshot"/>. Every document is read to the end and every
/// error reported, then the checks across objects run (references, overlaps, duplicates).
/// </summary>
public sealed partial class ConfigLoader
{
    private const string OurGroup = "bgplb.io/";
    private const string MetalLbGroup = "metallb.io/";
    private const string V1Beta1 = "v1beta1";
    private const string V1Beta2 = "v1beta2";

    private readonly List<Diagnostic> _diagnostics = [];
    private readonly List<Located<IpAddressPoolConfig>> _pools = [];
    private readonly List<Located<BgpPeerConfig>> _peers = [];
    private readonly List<Located<PendingAdvertisement>> _bgpAdvertisements = [];
    private readonly List<Located<L2AdvertisementConfig>> _l2Advertisements = [];
    private readonly List<Located<BfdProfileConfig>> _bfdProfiles = [];
    private readonly List<Located<CommunityConfig>> _communities = [];
    private readonly List<Placed<Allocator.LoadBalancerService>> _services = [];
    private readonly List<Placed<NodeConfig>> _nodes = [];
    private readonly List<Placed<LabelledObject>> _namespaces = [];
    private readonly List<Placed<SecretConfig>> _secrets = [];
    private readonly List<Placed<EndpointSliceConfig>> _endpointSlices = [];

    private ConfigLoader()
    {
    }

    public static ConfigLoadResult Load(string path) => Load(path, null);

    /// <summary>Loads as <see cref="Load(string)"/>, taking over from <paramref name="cache"/> what unchanged files held (a reload).</summary>
    public static ConfigLoadResult Load(string path, ConfigCache? cache)
    {
        ArgumentNullException.ThrowIfNull(path);
        var loader = new ConfigLoader();
        var files = FilesOf(path, out var problem);
        if (problem is not null)
        {
            loader.FileError(path, problem);
        }
        if (cache is not null)
        {
            cache.LastHits = 0;
        }
        var records = new Dictionary<string, FileRecord>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            SourceStamp stamp;
            try
            {
                stamp = SourceStamp.Of(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                loader.FileError(file, "cannot be read: " + e.Message);
                continue;
            }
            loader.ReadSource(file, stamp, cache, records, () =>
            {
                StreamReader reader;
                try
                {
                    reader = new StreamReader(file, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    loader.FileError(file, "cannot be read: " + e.Message);
                    return false;
                }
                using (reader)
                {
                    loader.Read(file, reader);
                }
                return true;
            });
        }
        return loader.Finish(files.Length, cache, files, records);
    }

    /// <summary>
    /// Reads one source (a file, an API object) through <paramref name="read"/>, or takes over what the cache
    /// holds of it at the same stamp, and records what it held for the next load's diff. <paramref name="read"/>
    /// returns false when the source could not be read at all (it said why): it then has no record.
    /// </summary>
    private void ReadSource(string source, SourceStamp stamp, ConfigCache? cache, Dictionary<string, FileRecord> records, Func<bool> read)
    {
        var mark = Mark();
        if (cache is not null && cache.TryGet(source, stamp, out var cached))
        {
            TakeOver(cached);
            cache.LastHits++;
            records[source] = cached.Record;
            return;
        }
        if (!read())
        {
            return;
        }
        var record = RecordSince(mark, stamp);
        if (cache is not null && OnlyBulkSince(mark))
        {
            cache.Set(source, Since(mark, record));
        }
        records[source] = record;
    }

    /// <summary>The checks across objects and the snapshot; through a cache, also what changed since its last good load.</summary>
    private ConfigLoadResult Finish(int sources, ConfigCache? cache, IReadOnlyCollection<string> names, Dictionary<string, FileRecord> records)
    {
        if (cache is null)
        {
            return Finish(sources, null);
        }
        cache.Keep(names);
        var result = Finish(sources, cache.Diff(records));
        if (result.Snapshot is { } snapshot)
        {
            cache.LastGood = new LoadedFiles(snapshot, records);
        }
        return result;
    }

    /// <summary>The config files of <paramref name="path"/>: the file, or the folder's *.yaml / *.yml in name order; <paramref name="problem"/> says why there are none.</summary>
    private static string[] FilesOf(string path, out string? problem)
    {
        problem = null;
        if (Directory.Exists(path))
        {
            string[] files = [.. Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)];
            if (files.Length == 0)
            {
                problem = "the folder holds no .yaml or .yml file";
            }
            return files;
        }
        if (File.Exists(path))
        {
            return [path];
        }
        problem = "no such file or folder";
        return [];
    }

    /// <summary>
    /// Whether the files of <paramref name="path"/> differ (by name, length or modification time) from
    /// those of the last good load through <paramref name="cache"/>: a change between that load and the
    /// start of the file watch would otherwise go unnoticed until the next one.
    /// </summary>
    public static bool ChangedSince(string path, ConfigCache cache)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.LastGood is not { } last)
        {
            return true;
        }
        var files = FilesOf(path, out _);
        try
        {
            return files.Length != last.Files.Count
                || files.Any(f => !last.Files.TryGetValue(f, out var record) || record.Stamp != SourceStamp.Of(f));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // the reload will say what is wrong with it
        }
    }

    /// <summary>Loads YAML text as if read from a file called <paramref name="file"/> (for tests and for sources that are not files).</summary>
    public static ConfigLoadResult LoadText(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(text);
        return LoadTexts([(file, text)]);
    }

    /// <summary>Loads the texts of several files as one configuration, in the order given (a folder's files in name order, as <see cref="Load(string)"/> reads them).</summary>
    public static ConfigLoadResult LoadTexts(IReadOnlyList<(string File, string Text)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var loader = new ConfigLoader();
        foreach (var (file, text) in files)
        {
            using var reader = new StringReader(text);
            loader.Read(file, reader);
        }
        return loader.Finish(files.Count, null);
    }

    /// <summary>How long each list was before a file was read.</summary>
    private readonly record struct ListMark(int Diagnostics, int Services, int Nodes, int Namespaces, int Secrets, int EndpointSlices,
        int Pools, int Peers, int BgpAdvertisements, int L2Advertisements, int BfdProfiles, int Communities);

    private ListMark Mark() => new(_diagnostics.Count, _services.Count, _nodes.Count, _namespaces.Count, _secrets.Count, _endpointSlices.Count,
        _pools.Count, _peers.Count, _bgpAdvertisements.Count, _l2Advertisements.Count, _bfdProfiles.Count, _communities.Count);

    /// <summary>True when the file read since <paramref name="mark"/> added none of the kinds that keep their document.</summary>
    private bool OnlyBulkSince(ListMark mark) =>
        _pools.Count == mark.Pools && _peers.Count == mark.Peers && _bgpAdvertisements.Count == mark.BgpAdvertisements
        && _l2Advertisements.Count == mark.L2Advertisements && _bfdProfiles.Count == mark.BfdProfiles && _communities.Count == mark.Communities;

    private CachedFile Since(ListMark mark, FileRecord record) => new(record.Stamp, record,
        [.. _diagnostics.Skip(mark.Diagnostics)],
        _services.Count > mark.Services ? _services[mark.Services].File : "",
        [.. _services.Skip(mark.Services).Select(s => s.Line)],
        [.. _nodes.Skip(mark.Nodes)],
        [.. _namespaces.Skip(mark.Namespaces)],
        [.. _secrets.Skip(mark.Secrets)],
        [.. _endpointSlices.Skip(mark.EndpointSlices)]);

    /// <summary>What the file read since <paramref name="mark"/> held, for the next load's <see cref="ConfigCache.Diff"/>.</summary>
    private FileRecord RecordSince(ListMark mark, SourceStamp stamp) => new(stamp,
        [.. _services.Skip(mark.Services).Select(s => s.Value)],
        OnlyServices: OnlyBulkSince(mark) && _nodes.Count == mark.Nodes && _namespaces.Count == mark.Namespaces
            && _secrets.Count == mark.Secrets && _endpointSlices.Count == mark.EndpointSlices,
        HasNamespaces: _namespaces.Count != mark.Namespaces);

    private void TakeOver(CachedFile cached)
    {
        _diagnostics.AddRange(cached.Diagnostics);
        var services = cached.Record.Services;
        _services.EnsureCapacity(_services.Count + services.Length);
        for (var i = 0; i < services.Length; i++)
        {
            _services.Add(new(services[i], cached.ServiceFile, cached.ServiceLines[i]));
        }
        _nodes.AddRange(cached.Nodes);
        _namespaces.AddRange(cached.Namespaces);
        _secrets.AddRange(cached.Secrets);
        _endpointSlices.AddRange(cached.EndpointSlices);
    }

    private void FileError(string file, string message) =>
        _diagnostics.Add(new Diagnostic(Severity.Error, file, 0, "", "", message));

    /// <summary>Reads the documents of one file one at a time (<see cref="DocumentParser"/>), so memory follows the largest document, not the file.</summary>
    private void Read(string file, TextReader reader)
    {
        try
        {
            foreach (var parser in DocumentParser.Documents(reader))
            {
                var stream = new YamlStream();
                stream.Load(parser);
                foreach (var document in stream.Documents)
                {
                    ReadDocument(new DocumentContext(file, _diagnostics), document.RootNode);
                }
            }
        }
        catch (YamlException e)
        {
            // Text that is not YAML cannot be split into objects: what follows the error is not read
            // (and with an error the whole config is refused anyway).
            _diagnostics.Add(new Diagnostic(Severity.Error, file, (int)e.Start.Line, "", "", "not valid YAML: " + (e.InnerException?.Message ?? e.Message)));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or EndOfStreamException)
        {
            // YamlDotNet's scanner and node loader throw these on some malformed text instead of a
            // YamlException (found by LoaderPropertyTests); the text is still not YAML we can read.
            _diagnostics.Add(new Diagnostic(Severity.Error, file, 0, "", "", "not valid YAML: " + e.Message));
        }
        catch (IOException e)
        {
            _diagnostics.Add(new Diagnostic(Severity.Error, file, 0, "", "", "cannot be read: " + e.Message));
        }
    }

    private void ReadDocument(DocumentContext context, YamlNode root)
    {
        if (Fields.IsNull(root))
        {
            return; // an empty document, e.g. after a trailing "---"
        }
        if (root is not YamlMappingNode map)
        {
            context.Error(root, "", "a document must be a mapping with apiVersion and kind");
            return;
        }
        context.Root = map;
        var top = new Fields(map, "", context);
        var apiVersion = top.String("apiVersion", required: true);
        var kind = top.String("kind", required: true);
        if (apiVersion is null || kind is null)
        {
            return;
        }
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)] : "";
        if (group is OurGroup or MetalLbGroup)
        {
            ReadCustomResource(context, top, group, apiVersion, kind);
            return;
        }
        switch (apiVersion, kind)
        {
            case ("v1", "Service"):
                ReadService(context, top);
                return;
            case ("v1", "Node"):
                ReadNode(context, top);
                return;
            case ("v1", "Namespace"):
                ReadLabelled(context, top, kind, _namespaces);
                return;
            case ("v1", "Secret"):
                ReadSecret(context, top);
                return;
            case ("discovery.k8s.io/v1", "EndpointSlice"):
                ReadEndpointSlice(context, top);
                return;
            default:
                ReadMetadata(context, top, kind, namespaced: true, out _, out _);
                context.Info(map, "", $"skipped: {kind} of {apiVersion} is not part of the configuration");
                return;
        }
    }

    private void ReadCustomResource(DocumentContext context, Fields top, string group, string apiVersion, string kind)
    {
        var version = apiVersion[group.Length..];
        var known = kind switch
        {
            "IPAddressPool" or "BGPAdvertisement" or "L2Advertisement" or "BFDProfile" or "Community" => version == V1Beta1,
            "BGPPeer" => version is V1Beta1 or V1Beta2,
            _ => false,
        };
        if (!known)
        {
            ReadMetadata(context, top, kind, namespaced: true, out _, out _);
            context.Error(top.Find("kind"), "kind", $"{kind} of {apiVersion} is not a kind BgpLb reads (bgplb.io/v1beta1: IPAddressPool, BGPPeer, BGPAdvertisement, L2Advertisement, BFDProfile, Community)");
            return;
        }
        if (!ReadMetadata(context, top, kind, namespaced: true, out var meta, out var labels))
        {
            top.Ignore("spec", "status");
            return;
        }
        if (group == MetalLbGroup)
        {
            context.Info(top.Node, "", $"read {apiVersion} {kind} as its bgplb.io equivalent");
        }
        top.Ignore("status");
        var spec = top.Map("spec") ?? new Fields(new YamlMappingNode(), "spec", context);
        top.RejectUnknown();
        switch (kind)
        {
            case "IPAddressPool":
                ReadPool(spec, meta, labels);
                break;
            case "BGPPeer":
                ReadPeer(spec, meta);
                break;
            case "BGPAdvertisement":
                ReadBgpAdvertisement(spec, meta);
                break;
            case "L2Advertisement":
                ReadL2Advertisement(spec, meta);
                break;
            case "BFDProfile":
                ReadBfdProfile(spec, meta);
                break;
            default:
                ReadCommunity(spec, meta);
                break;
        }
    }

    private static bool CoreNamespaced(string kind) => kind is "Service" or "Secret" or "EndpointSlice";

    /// <summary>
    /// Reads metadata.name (required), namespace and labels, and names the object in the context. The rest
    /// of metadata (uid, resourceVersion, annotations of custom resources, …) is Kubernetes' bookkeeping and not judged.
    /// </summary>
    private static bool ReadMetadata(DocumentContext context, Fields top, string kind, bool namespaced,
        out (string Namespace, string Name) meta, out ImmutableDictionary<string, string> labels)
    {
        meta = ("", "");
        labels = ImmutableDictionary<string, string>.Empty;
        context.Subject = kind;
        var metadata = top.Map("metadata");
        if (metadata is null)
        {
            context.Error(top.Node, "metadata.name", "required");
            return false;
        }
        var name = metadata.String("name");
        // Kubernetes puts a core object without a namespace in "default"; our kinds have no such rule.
        var ns = namespaced ? metadata.String("namespace") ?? "" : "";
        if (namespaced && ns.Length == 0 && CoreNamespaced(kind))
        {
            ns = DefaultNamespace;
        }
        labels = metadata.StringMap("labels");
        context.Subject = string.IsNullOrEmpty(name) ? kind : kind + " " + (ns.Length > 0 ? ns + "/" : "") + name;
        if (string.IsNullOrEmpty(name))
        {
            context.Error(metadata.Node, "metadata.name", "required");
            return false;
        }
        foreach (var (key, value) in labels)
        {
            Selectors.CheckLabel(metadata, "labels", key, value);
        }
        meta = (ns, name);
        return true;
    }
}
