namespace BgpLb.Daemon.Model;

/// <summary>Objects that come from the Kubernetes API rather than from files.</summary>
public sealed partial class ConfigLoader
{
    /// <summary>
    /// Loads API objects, each one document (JSON is YAML) named by <see cref="SourcedDocument.Source"/>
    /// where a file would be, through the very reading and checks a file gets: an object the API server
    /// accepted but BgpLb cannot use is refused with the text a file holding it would get.
    /// </summary>
    public static ConfigLoadResult LoadDocuments(IReadOnlyCollection<SourcedDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var loader = new ConfigLoader();
        foreach (var document in documents)
        {
            using var reader = new StringReader(document.Text);
            loader.Read(document.Source, reader);
        }
        return loader.Finish(documents.Count, null);
    }
}
