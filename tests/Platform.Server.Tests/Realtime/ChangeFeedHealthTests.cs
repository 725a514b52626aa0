using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Server.Realtime;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

public sealed class ChangeFeedHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Liveness_IsHealthy_UntilAFailure_AndAgainAfterAChangeOrOnceTheRetryHadTimeToFail()
    {
        var time = new AdjustableTimeProvider();
        var liveness = new ChangeFeedLiveness(time);
        Assert.Equal(HealthStatus.Healthy, liveness.Check().Status);

        liveness.Failed(new StorageUnavailableException("down"), TimeSpan.FromSeconds(10));
        var failing = liveness.Check();
        Assert.Equal(HealthStatus.Unhealthy, failing.Status);
        Assert.IsType<StorageUnavailableException>(failing.Exception);

        // Still failing just before the grace after the retry ends; the retry that fails again extends it.
        time.Advance(TimeSpan.FromSeconds(10) + ChangeFeedLiveness.RetryGrace - TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Unhealthy, liveness.Check().Status);
        liveness.Failed(new StorageUnavailableException("still down"), TimeSpan.FromSeconds(20));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HealthStatus.Unhealthy, liveness.Check().Status);

        // A retry that worked and waits for changes fails no more: healthy once the grace has passed.
        time.Advance(ChangeFeedLiveness.RetryGrace);
        Assert.Equal(HealthStatus.Healthy, liveness.Check().Status);

        liveness.Failed(new StorageUnavailableException("down"), TimeSpan.FromSeconds(10));
        liveness.Reading();
        Assert.Equal(HealthStatus.Healthy, liveness.Check().Status);

        liveness.Stopped(new InvalidOperationException("reader crashed"));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HealthStatus.Unhealthy, liveness.Check().Status);
    }

    [Fact]
    public async Task Ready_Is503_WhileTheChangeFeedCannotBeRead()
    {
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?> { ["Baas:Realtime:RetryDelay"] = "00:00:00.050", ["Baas:Realtime:MaxRetryDelay"] = "00:00:00.200" },
            configureServices: services => services.AddSingleton<IChangeFeed, FailingChangeFeed>());
        using var client = server.CreateClient();

        var status = HttpStatusCode.OK;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (status != HttpStatusCode.ServiceUnavailable)
        {
            using var response = await client.GetAsync("/health/ready", timeout.Token);
            status = response.StatusCode;
            if (status != HttpStatusCode.ServiceUnavailable)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
            }
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);

        // The data API itself still answers: only readiness reports the stopped feed.
        using var live = await client.GetAsync("/health", Ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public void Liveness_IsHealthyAgain_WhenTheFeedReopens_LongBeforeTheGrace()
    {
        var time = new AdjustableTimeProvider();
        var liveness = new ChangeFeedLiveness(time);
        IChangeFeed feed = new RecoveringChangeFeed { Up = true };

        liveness.Failed(new StorageUnavailableException("down"), TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Unhealthy, liveness.Check().Status);

        // The retry opens the feed and no change follows: the open alone makes the node ready.
        _ = feed.ReadAsync("0", liveness.Reading, Ct).GetAsyncEnumerator(Ct).MoveNextAsync();
        Assert.Equal(HealthStatus.Healthy, liveness.Check().Status);
    }

    [Fact]
    public async Task Ready_IsBackAsSoonAsTheFeedReopens_WithoutWaitingForAChange()
    {
        var feed = new RecoveringChangeFeed();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?> { ["Baas:Realtime:RetryDelay"] = "00:00:00.050", ["Baas:Realtime:MaxRetryDelay"] = "00:00:00.200" },
            configureServices: services => services.AddSingleton<IChangeFeed>(feed));
        using var client = server.CreateClient();

        await ReadyAsync(client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20));

        // Recovered, and no write follows: ready well within ChangeFeedLiveness.RetryGrace (a minute).
        feed.Up = true;
        await ReadyAsync(client, HttpStatusCode.OK, TimeSpan.FromSeconds(15));
    }

    private static async Task ReadyAsync(HttpClient client, HttpStatusCode expected, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using var response = await client.GetAsync("/health/ready", Ct);
            if (response.StatusCode == expected)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/health/ready did not answer {(int)expected} within {within}; it answers {(int)response.StatusCode}.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }
    }

    /// <summary>Fails while down; once up, opens (telling the reader) and waits for changes that never come.</summary>
    private sealed class RecoveringChangeFeed : IChangeFeed
    {
        private volatile bool _up;

        public bool Up
        {
            get => _up;
            set => _up = value;
        }

        public Task<string> GetPositionAsync(CancellationToken cancellationToken = default) => Task.FromResult("0");

        // These tests watch the reader only; no subscription reads a snapshot.
        public Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) =>
            Task.FromException<FeedSnapshot>(new StorageUnavailableException("The change feed is down (test)."));

        public IAsyncEnumerable<StoredChange> ReadAsync(string after, CancellationToken cancellationToken = default) => Read(null, cancellationToken);

        public IAsyncEnumerable<StoredChange> ReadAsync(string after, Action opened, CancellationToken cancellationToken = default) => Read(opened, cancellationToken);

        private async IAsyncEnumerable<StoredChange> Read(Action? opened, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (!_up)
            {
                await Task.Yield();
                throw new StorageUnavailableException("The change feed is down (test).");
            }

            opened?.Invoke();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
    }

    private sealed class FailingChangeFeed : IChangeFeed
    {
        public Task<string> GetPositionAsync(CancellationToken cancellationToken = default) => Task.FromResult("0");

        // These tests watch the reader only; no subscription reads a snapshot.
        public Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) =>
            Task.FromException<FeedSnapshot>(new StorageUnavailableException("The change feed is down (test)."));

        public IAsyncEnumerable<StoredChange> ReadAsync(string after, CancellationToken cancellationToken = default) => Fail(cancellationToken);

        private static async IAsyncEnumerable<StoredChange> Fail([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            throw new StorageUnavailableException("The change feed is down (test).");
#pragma warning disable CS0162 // An iterator needs a yield to be one.
            yield break;
#pragma warning restore CS0162
        }
    }
}
