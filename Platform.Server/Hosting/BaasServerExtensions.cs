using Platform.Server.Admin;
using Platform.Server.Auth;
using Platform.Server.Storage;

namespace Platform.Server.Hosting;

/// <summary>The composition root: every feature is wired here and nowhere else.</summary>
public static class BaasServerExtensions
{
    public static WebApplicationBuilder AddBaasServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://localhost:8090");
        var services = builder.Services;
        services.AddOptions<BaasOptions>().BindConfiguration(BaasOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddBaasStorage(builder.Configuration);
        services.AddBaasAuth(builder.Configuration);
        services.AddBaasAdmin(builder.Configuration);
        return builder;
    }

    public static WebApplication MapBaasApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapBaasAdminEndpoints();
        return app;
    }
}
