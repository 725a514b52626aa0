using Microsoft.AspNetCore.Hosting.Server;

namespace Platform.Server.Hosting;

public static class HostServicesPreparation
{
    /// <summary>
    /// Builds the hosted services and the server (Kestrel, with its options) now, the objects the host's start would
    /// build first: called while the start-up tasks open the store on the thread pool, their construction no longer
    /// waits for the store on the way to the first 200. Only construction: nothing starts, nothing is bound, and the
    /// host later gets the same singletons.
    /// </summary>
    /// <remarks>
    /// Measured with the route table's build beside the tasks (bench/README.md, "h/start9"): 20-50 ms less wall time to
    /// the first 200 on two cores. No hosted service's constructor may need an open store; each one that does work at
    /// start does it in its <c>StartAsync</c>, which the host calls after the start-up tasks, as before.
    /// </remarks>
    public static void ResolveBaasHostServices(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach (var service in host.Services.GetServices<IHostedService>())
        {
            GC.KeepAlive(service);
        }

        GC.KeepAlive(host.Services.GetService<IServer>());
    }
}
