using System.Globalization;
using System.Text;

namespace Baas.Bench;

/// <summary>The realtime suite's markdown: the distributions, the issue's targets, and notes.</summary>
internal static class RealtimeReport
{
    public static string ToMarkdown(DateTimeOffset startedAt, string machine, string loadBefore, string loadAfter, RealtimeBench bench, string? serverDll = null)
    {
        var md = new StringBuilder();
        md.AppendLine(Format($"Realtime run {startedAt:yyyy-MM-dd HH:mm} UTC on {machine}. Load average before/after: {loadBefore} / {loadAfter}."));
        md.AppendLine(serverDll is null ? "Server: this tree, published in Release." : $"Server: `{serverDll}`.");
        md.AppendLine();
        md.AppendLine("| measurement | samples | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | events lost | target | met | note |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |");
        foreach (var r in bench.Results)
        {
            var target = Target(r.Name);
            var met = target is null ? "" : r.P99Milliseconds < target.Value && r.Lost == 0 ? "yes" : "**no**";
            var targetText = target is null ? "" : Format($"p99 < {target:N0} ms, 0 lost");
            md.AppendLine(Format($"| {r.Name} | {r.Samples:N0} | {r.P50Milliseconds:N2} | {r.P99Milliseconds:N2} | {r.P999Milliseconds:N2} | {r.MaxMilliseconds:N1} | {r.Lost:N0} | {targetText} | {met} | {r.Note} |"));
        }

        md.AppendLine();
        foreach (var (subscribers, micros) in bench.ServerMicrosecondsPerRecipient)
        {
            var bytes = bench.ServerBytesPerRecipient.TryGetValue(subscribers, out var allocated) ? Format($"; server allocated {allocated:N0} bytes per recipient") : "";
            md.AppendLine(Format($"Server CPU per recipient, fan-out to {subscribers:N0}: {micros:N1} µs (target ≤ 15 µs: {(micros <= 15 ? "yes" : "**no**")}){bytes}."));
            md.AppendLine();
        }

        var perConnection = bench.IdleKilobytesPerConnection;
        if (perConnection > 0)
        {
            md.AppendLine(Format($"Memory per idle subscribed connection: {perConnection:N1} KB (target < 64 KB: {(perConnection < 64 ? "yes" : "**no**")})."));
            md.AppendLine();
        }

        foreach (var note in bench.Notes)
        {
            md.AppendLine("- " + note);
        }

        return md.ToString();
    }

    private static double? Target(string name) => name switch
    {
        // Issue 13, item 1: ack → last subscriber.
        _ when name.StartsWith("ack → last of 1,000 ", StringComparison.Ordinal) => 40,
        _ when name.StartsWith("ack → last of 5,000 ", StringComparison.Ordinal) => 200,
        _ when name.StartsWith("ack", StringComparison.Ordinal) => 1,
        _ when name.StartsWith("ordinary subscriber, under attack", StringComparison.Ordinal) => 50,
        _ when name.StartsWith("send → event", StringComparison.Ordinal) => 10,
        _ => null,
    };

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
