using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Server.Hosting;

namespace Platform.Server.Tests.Hosting;

public sealed class RoutingWarmUpTests
{
    /// <summary>Sees each match the routing makes over the endpoints it applies to (those named "warm-up target").</summary>
    private sealed class RecordingPolicy(bool fail) : MatcherPolicy, IEndpointSelectorPolicy
    {
        public int Matches;

        public override int Order => 0;

        public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
            endpoints.Any(e => e.DisplayName == "warm-up target");

        public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
        {
            Interlocked.Increment(ref Matches);
            return fail ? throw new InvalidOperationException("policy failed") : Task.CompletedTask;
        }
    }

    private static (WebApplication App, RecordingPolicy Policy, CapturingLoggerProvider Logs, StrongBox<int> Invoked) App(bool failingPolicy)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var policy = new RecordingPolicy(failingPolicy);
        var logs = new CapturingLoggerProvider();
        builder.Services.AddSingleton<MatcherPolicy>(policy);
        builder.Logging.ClearProviders().AddProvider(logs).AddFilter(typeof(RoutingWarmUp).FullName, LogLevel.Debug);
        var app = builder.Build();
        var invoked = new StrongBox<int>();
        app.Use(next => context =>
        {
            Interlocked.Increment(ref invoked.Value);
            return next(context);
        });
        app.MapGet("/health", () =>
        {
            Interlocked.Increment(ref invoked.Value);
            return "ok";
        }).WithDisplayName("warm-up target");
        return (app, policy, logs, invoked);
    }

    [Fact]
    public async Task WarmBaasRoutingAsync_MatchesTheApplicationsEndpoints_WithoutInvokingTheEndpointOrAMiddleware()
    {
        var (app, policy, logs, invoked) = App(failingPolicy: false);
        await using (app)
        {
            await app.WarmBaasRoutingAsync(TestContext.Current.CancellationToken);

            Assert.Equal(1, policy.Matches);
            Assert.Equal(0, invoked.Value);
            Assert.DoesNotContain(logs.Entries, e => e.Category == typeof(RoutingWarmUp).FullName);
        }
    }

    [Fact]
    public async Task WarmBaasRoutingAsync_WhenTheRoutingThrows_CompletesAndLogsAtDebugOnly()
    {
        var (app, policy, logs, invoked) = App(failingPolicy: true);
        await using (app)
        {
            await app.WarmBaasRoutingAsync(TestContext.Current.CancellationToken);

            Assert.Equal(1, policy.Matches);
            Assert.Equal(0, invoked.Value);
            var entry = Assert.Single(logs.Entries, e => e.Category == typeof(RoutingWarmUp).FullName);
            Assert.Equal(LogLevel.Debug, entry.Level);
            Assert.IsType<InvalidOperationException>(entry.Exception);
        }
    }
}
