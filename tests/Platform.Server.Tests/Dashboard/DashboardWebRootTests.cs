using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;
using Platform.Server.Dashboard;

namespace Platform.Server.Tests.Dashboard;

/// <summary>
/// A published server started from another directory (<c>cd / &amp;&amp; dotnet /srv/baas/Platform.Server.dll</c>, as
/// docs/deployment.md's self-contained example does) still finds the dashboard published beside its assembly.
/// </summary>
public sealed class DashboardWebRootTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void UseWebRootBesideAssembly_ContentRootWithoutTheDashboard_ReadsThePublishedFiles()
    {
        var published = Publish("app");
        var environment = new Environment(Path.Combine(_root, "elsewhere", "wwwroot"), new NullFileProvider());

        Assert.True(DashboardEndpoints.UseWebRootBesideAssembly(environment, published));

        Assert.Equal(Path.Combine(published, "wwwroot"), environment.WebRootPath);
        Assert.True(environment.WebRootFileProvider.GetFileInfo("admin/index.html").Exists);
    }

    [Fact]
    public void UseWebRootBesideAssembly_ContentRootWithTheDashboard_KeepsIt()
    {
        var published = Publish("app");
        var own = Publish("own");
        using var provider = new PhysicalFileProvider(Path.Combine(own, "wwwroot"));
        var environment = new Environment(Path.Combine(own, "wwwroot"), provider);

        Assert.False(DashboardEndpoints.UseWebRootBesideAssembly(environment, published));

        Assert.Equal(Path.Combine(own, "wwwroot"), environment.WebRootPath);
        Assert.Same(provider, environment.WebRootFileProvider);
    }

    [Fact]
    public void UseWebRootBesideAssembly_NoDashboardBesideTheAssembly_ChangesNothing()
    {
        var bare = Path.Combine(_root, "bare");
        Directory.CreateDirectory(bare);
        var nothing = new NullFileProvider();
        var environment = new Environment(Path.Combine(_root, "elsewhere", "wwwroot"), nothing);

        Assert.False(DashboardEndpoints.UseWebRootBesideAssembly(environment, bare));

        Assert.Same(nothing, environment.WebRootFileProvider);
    }

    private string Publish(string name)
    {
        var directory = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.Combine(directory, "wwwroot", "admin"));
        File.WriteAllText(Path.Combine(directory, "wwwroot", "admin", "index.html"), "<div id=\"app\"></div>");
        return directory;
    }

    private sealed class Environment(string webRootPath, IFileProvider webRootFileProvider) : IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = webRootPath;

        public IFileProvider WebRootFileProvider { get; set; } = webRootFileProvider;

        public string ApplicationName { get; set; } = "Platform.Server";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();

        public string ContentRootPath { get; set; } = "/";

        public string EnvironmentName { get; set; } = "Production";
    }
}
