namespace BgpLb.Daemon.Tests;

/// <summary>The repository's root, found from the test binary's folder, for examples/ and the built daemon.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BgpLb.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("BgpLb.sln not found above " + AppContext.BaseDirectory);
    }
}
