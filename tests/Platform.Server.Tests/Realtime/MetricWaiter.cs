using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;

namespace Platform.Server.Tests.Realtime;

/// <summary>Records the measurements of one server's <c>Baas.Realtime</c> meter, so tests wait on them instead of sleeping.</summary>
public sealed class MetricWaiter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Channel<(string Instrument, long Value)> _measurements = Channel.CreateUnbounded<(string, long)>();

    public MetricWaiter(RealtimeTestServer server)
    {
        var meter = server.Server.Services.GetRequiredService<RealtimeMetrics>().Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _measurements.Writer.TryWrite((instrument.Name, value)));
        _listener.Start();
    }

    /// <summary>
    /// Waits for the next measurement of <paramref name="instrument"/> equal to <paramref name="value"/>, at most
    /// <paramref name="patience"/> (default <see cref="HubClient.Patience"/>).
    /// </summary>
    public async Task WaitAsync(string instrument, long value, TimeSpan? patience = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(patience ?? HubClient.Patience);
        while (true)
        {
            var measurement = await _measurements.Reader.ReadAsync(timeout.Token);
            if (measurement.Instrument == instrument && measurement.Value == value)
            {
                return;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
