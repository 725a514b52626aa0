using Platform.Server.Hosting;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// The content root of a server started outside its own directory (README's <c>dotnet run --project Platform.Server</c>
/// from the repository, a publish run by path) is the assembly's directory, so its appsettings.json and wwwroot are read.
/// </summary>
public sealed class ContentRootTests : IDisposable
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));

    public ContentRootTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "app"));
        File.WriteAllText(Path.Combine(_root, "app", "appsettings.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_root, "elsewhere"));
        Directory.CreateDirectory(Path.Combine(_root, "own"));
        File.WriteAllText(Path.Combine(_root, "own", "appsettings.json"), "{}");
    }

    private string App => Path.Combine(_root, "app");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Choose_FromADirectoryWithoutSettings_IsTheAssemblysDirectory() =>
        Assert.Equal(App, ContentRoot.Choose([], Path.Combine(_root, "elsewhere"), App, NoEnvironment));

    [Fact]
    public void Choose_FromADirectoryWithItsOwnSettings_KeepsTheDefault() =>
        Assert.Null(ContentRoot.Choose([], Path.Combine(_root, "own"), App, NoEnvironment));

    [Fact]
    public void Choose_WithoutSettingsBesideTheAssembly_KeepsTheDefault() =>
        Assert.Null(ContentRoot.Choose([], Path.Combine(_root, "elsewhere"), Path.Combine(_root, "elsewhere"), NoEnvironment));

    [Theory]
    [InlineData("--contentRoot=/srv/x")]
    [InlineData("--contentroot")]
    [InlineData("/contentRoot")]
    public void Choose_WithAContentRootArgument_KeepsIt(string argument) =>
        Assert.Null(ContentRoot.Choose([argument, "/srv/x"], Path.Combine(_root, "elsewhere"), App, NoEnvironment));

    [Theory]
    [InlineData("ASPNETCORE_CONTENTROOT")]
    [InlineData("DOTNET_CONTENTROOT")]
    public void Choose_WithAContentRootVariable_KeepsIt(string variable) =>
        Assert.Null(ContentRoot.Choose([], Path.Combine(_root, "elsewhere"), App, name => name == variable ? "/srv/x" : null));
}
