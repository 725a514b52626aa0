using System.Text.Json;
using MessagePack;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Hosting;

namespace Platform.Server.Realtime;

public static class RealtimeServiceCollectionExtensions
{
    /// <summary>The hub's path. Only here may credentials come in the query string (<see cref="BaasAuthSchemes.QueryCredentialsPath"/>).</summary>
    public const string Path = BaasAuthSchemes.QueryCredentialsPath;

    /// <summary>
    /// SignalR (JSON with camelCase names, and MessagePack), the dispatcher and the change-feed reader, the
    /// <c>Baas:Realtime</c> options, the <c>Baas.Realtime</c> meter, and the one-use tickets (<see cref="RealtimeTickets"/>) with
    /// their authentication scheme. Needs an <see cref="Storage.Changes.IChangeFeed"/> and <c>AddBaasAuth</c>.
    /// </summary>
    public static IServiceCollection AddBaasRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RealtimeOptions>()
            .Bind(configuration.GetSection(RealtimeOptions.Section))
            .ValidateWith(new RealtimeOptionsValidator())
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<RealtimeMetrics>();
        services.TryAddSingleton<DirectSendCounter>();
        services.TryAddSingleton<SocketSendCounter>();
        services.TryAddSingleton<CostlyMatcher>();
        services.TryAddSingleton<RealtimeDispatcher>();
        services.TryAddSingleton<RealtimeShutdown>();
        services.TryAddSingleton<SubscriptionPlanner>();
        services.TryAddScoped<SubscriptionActivator>();
        services.TryAddSingleton<StoredResume>();
        services.TryAddSingleton<SubscribeCatchUp>();
        services.TryAddSingleton<SubscribeSnapshot>();
        services.TryAddSingleton<ChangeFeedLiveness>();
        services.AddHostedService<ChangeFeedReader>();
        services.AddHealthChecks().AddCheck<ChangeFeedHealthCheck>("change-feed", tags: ["ready"]);
        services.AddHostedService<RuleWatcher>();
        services.TryAddSingleton<SessionWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionWatcher>());

        services.TryAddSingleton<RealtimeTickets>();
        services.AddHostedService<RealtimeTicketCleanup>();
        services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, RealtimeTicketAuthenticationHandler>(BaasAuthSchemes.RealtimeTicket, _ => { });

        services.AddSignalR(options => options.AddFilter<RealtimeRefusalLogging>())
            .AddJsonProtocol(options =>
            {
                options.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
                options.PayloadSerializerOptions.Converters.Add(new SubscribeRequestJsonConverter());
            })
            .AddMessagePackProtocol(options => options.SerializerOptions = options.SerializerOptions.WithResolver(CompositeResolver.Create(
                [new SubscribeRequestMessagePackFormatter(), new StrictObjectMessagePackFormatter(options.SerializerOptions.Resolver.GetFormatterWithVerify<object?>())],
                [options.SerializerOptions.Resolver])));
        WrapHubProtocols(services);
        services.AddSingleton<HubLifetimeManager<RealtimeHub>, RealtimeLifetimeManager>();
        return services;
    }

    // Every hub protocol is wrapped so that a change's events are encoded once per protocol and a connection's backlog
    // goes out with one flush (SharedFrameHubProtocol); what the client receives is unchanged.
    private static void WrapHubProtocols(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(IHubProtocol) || descriptor.IsKeyedService
                || descriptor.ImplementationType == typeof(SharedFrameHubProtocol))
            {
                continue;
            }

            // MessagePack is created at the first client that asks for it (DeferredHubProtocol): most speak JSON.
            services[i] = descriptor.ImplementationType == typeof(MessagePackHubProtocol)
                ? ServiceDescriptor.Singleton<IHubProtocol>(sp => new SharedFrameHubProtocol(new DeferredHubProtocol(MessagePackProtocolName, () => Inner(sp, descriptor))))
                : ServiceDescriptor.Singleton<IHubProtocol>(sp => new SharedFrameHubProtocol(Inner(sp, descriptor)));
        }
    }

    /// <summary>The name MessagePack's hub protocol answers to (<c>MessagePackHubProtocol.Name</c>; a test pins it).</summary>
    internal const string MessagePackProtocolName = "messagepack";

    private static IHubProtocol Inner(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: IHubProtocol instance } => instance,
        { ImplementationFactory: { } factory } => (IHubProtocol)factory(services),
        { ImplementationType: { } type } => (IHubProtocol)ActivatorUtilities.CreateInstance(services, type),
        _ => throw new InvalidOperationException("A hub protocol registration without an implementation."),
    };

    /// <summary>
    /// Maps the hub at <see cref="Path"/>: websockets first, then server-sent events and long polling. With
    /// <see cref="RealtimeOptions.DirectWebSocketSends"/> on, a websocket connection's messages are written to
    /// its socket by the sending thread (<see cref="DirectWebSocketOutput"/>); with <see cref="RealtimeOptions.SocketSends"/>
    /// on, a plain-HTTP websocket's frames go to its socket without Kestrel's output pipe (<see cref="SocketOutputStream"/>);
    /// otherwise this is SignalR's <c>MapHub</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapBaasRealtime(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = new HttpConnectionDispatcherOptions
        {
            Transports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling,
            // A connection must not outlive the token that opened it.
            CloseOnAuthenticationExpiration = true,
        };
        var realtime = endpoints.ServiceProvider.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        var direct = realtime.DirectWebSocketSends;
        var counter = endpoints.ServiceProvider.GetRequiredService<DirectSendCounter>();

        // What MapHub does (its hub's attributes and HubMetadata on the endpoints), with the connection middleware ahead of
        // the hub when sends go to the websocket directly.
        var conventions = endpoints.MapConnections(Path, options, connection =>
        {
            if (direct)
            {
                connection.Use(DirectWebSocketSends.Middleware(counter));
            }

            // UseHub<RealtimeHub>, except that the hub's connection handler is created by the first realtime connection
            // instead of here: its dispatcher compiles an executor for every hub method from expression trees, which loaded
            // System.Linq.Expressions before the first request (with UseCors's binder, CrossOrigin.UseBaasCors; 2 MiB
            // resident, and CPU before the first 200; bench/README.md, "h/mem6"). It is the same singleton either way
            // (AddSignalR registers it), looked up per connection.
            var services = connection.ApplicationServices;
            connection.Run(context => services.GetRequiredService<HubConnectionHandler<RealtimeHub>>().OnConnectedAsync(context));
        });
        var attributes = typeof(RealtimeHub).GetCustomAttributes(inherit: true);
        conventions.Add(endpoint =>
        {
            foreach (var attribute in attributes)
            {
                endpoint.Metadata.Add(attribute);
            }

            endpoint.Metadata.Add(new HubMetadata(typeof(RealtimeHub)));
        });
        if (direct)
        {
            conventions.Add(DirectWebSocketSends.WrapEndpoint);
        }

        // Added last, so it runs first: the upgrade feature is replaced before any websocket handshake reads it.
        if (realtime.SocketSends)
        {
            conventions.Add(SocketSends.WrapEndpoint(endpoints.ServiceProvider));
        }

        // Anonymous visitors connect (rules decide what they may watch); credentials that fail are a 401.
        return conventions.RequireAuthorization(BaasPolicies.AnyCaller);
    }
}
