namespace Platform.Server.Hosting;

/// <summary>
/// Runs the routing once, over a synthetic request and a branch of the pipeline that holds only the routing, while the
/// start-up tasks open the store: the type loads and JIT of the route table's first build and match (the endpoints'
/// builders, the matcher's builder and its policies) then happen on the idle core instead of on the first request.
/// </summary>
/// <remarks>
/// The branch is <c>New()</c> of the application's builder (a routing world of its own) given the application's endpoint
/// data sources, and its routing is followed by a delegate that does nothing: the matched endpoint is never invoked, and none of the application's middlewares (logging, metrics, rate
/// limiting, auth, the store) runs. The real pipeline builds its own matcher on its first request, as before. Nothing
/// here may change an answer or stop the start: a failure is logged at Debug and forgotten.
/// </remarks>
public static partial class RoutingWarmUp
{
    /// <summary>Starts the warm-up on the thread pool; the returned task never faults.</summary>
    public static Task WarmBaasRoutingAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        var branch = ((IApplicationBuilder)app).New();
        var dataSources = ((IEndpointRouteBuilder)app).DataSources.ToArray();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RoutingWarmUp).FullName!);
        return Task.Run(() => RunAsync(branch, dataSources, app.Services, logger, cancellationToken), cancellationToken)
            .ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    internal static async Task RunAsync(IApplicationBuilder branch, IReadOnlyList<EndpointDataSource> dataSources, IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            branch.UseRouting();
            // Ends the branch after the match: the endpoints below are there for the matcher only, never invoked.
            branch.Run(static _ => Task.CompletedTask);
            branch.UseEndpoints(endpoints =>
            {
                foreach (var dataSource in dataSources)
                {
                    endpoints.DataSources.Add(dataSource);
                }
            });
            var pipeline = branch.Build();
            var context = new DefaultHttpContext { RequestServices = services, RequestAborted = cancellationToken };
            context.Request.Method = HttpMethods.Get;
            context.Request.Scheme = "http";
            context.Request.Host = new HostString("localhost");
            context.Request.Path = "/health";
            await pipeline(context);
        }
        catch (Exception ex)
        {
            Log.Failed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1025, Level = LogLevel.Debug, Message = "The routing's warm-up failed; the first request builds the route table as usual.")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
