using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace BgpLb.Daemon.Model;

/// <summary>A BGPAdvertisement whose community entries are still text: names are resolved once every Community object is read.</summary>
internal sealed record PendingAdvertisement(BgpAdvertisementConfig Value, ImmutableArray<(string Path, YamlNode Node, string Text)> Communities);
