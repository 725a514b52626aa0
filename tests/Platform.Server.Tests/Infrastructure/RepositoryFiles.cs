namespace Platform.Server.Tests.Infrastructure;

/// <summary>The repository the tests were built from, for tests that check README.md and docs/ against the code.</summary>
public static class RepositoryFiles
{
    /// <summary>The directory holding <c>Baas.sln</c>, found by walking up from the test binaries.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Baas.sln not found above the test binaries.");
    }
}
