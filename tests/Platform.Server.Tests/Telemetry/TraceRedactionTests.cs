using System.Diagnostics;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Telemetry;

/// <summary>Exported request spans never carry a credential from the query string (realtime clients send <c>?access_token=</c>).</summary>
public sealed class TraceRedactionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestSpan_UrlQuery_RedactsCredentials_EvenWithTheInstrumentationsRedactionTurnedOff()
    {
        var path = "/api/collections/trace" + Guid.NewGuid().ToString("N")[..12] + "/documents";
        var stopped = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("url.path") as string == path)
                {
                    stopped.TrySetResult(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        // Traces are on when OTLP export is configured (nothing listens on the discard port: exports fail quietly).
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Telemetry:Otlp:Endpoint"] = "http://127.0.0.1:9",
            ["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "true",
        });
        using var client = server.CreateClient();
        var secret = "S3cret" + Guid.NewGuid().ToString("N");

        using var response = await client.GetAsync($"{path}?limit=5&access_token={secret}&apikey={secret}", Ct);
        await response.Content.ReadAsByteArrayAsync(Ct);
        var span = await stopped.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("?limit=5&access_token=Redacted&apikey=Redacted", span.GetTagItem("url.query"));
        Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains(secret, StringComparison.Ordinal) == true);
    }
}
