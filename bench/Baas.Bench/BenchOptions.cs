using System.Globalization;

namespace Baas.Bench;

/// <summary>Command-line settings, each bounded so a typo cannot start an endless run.</summary>
internal sealed record BenchOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public int Concurrency { get; init; } = 32;

    public int Documents { get; init; } = 100_000;

    public int SeedParallelism { get; init; } = 2;

    public string? OutputDirectory { get; init; }

    /// <summary>
    /// <c>http</c> (the REST scenarios), <c>realtime</c> (latency, fan-out and memory of the hub), <c>realtime-attack</c>,
    /// <c>soak</c> (a mixed read/write load for <see cref="Duration"/>, printing database and WAL sizes every
    /// <see cref="ReportEvery"/>), <c>triggers</c> (after-trigger latency and losses) or <c>schedules</c> (start delay of an
    /// every-second schedule).
    /// </summary>
    public string Suite { get; init; } = "http";

    /// <summary>Measured writes of the realtime suite's single-subscriber latency test (fan-out uses a tenth).</summary>
    public int RealtimeWrites { get; init; } = 1000;

    /// <summary>Soak: how often to print the sizes of the database, its WAL and the server's RSS.</summary>
    public TimeSpan ReportEvery { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Soak: the server's <c>Baas:Storage:SqliteMaxWalBytes</c> in MiB; null keeps the server's default.</summary>
    public int? WalBoundMegabytes { get; init; }

    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Baas.Bench -- [options]
          --duration <s>          measured seconds per scenario (1-600, default 10)
          --warmup <s>            unmeasured seconds before each scenario (0-60, default 2)
          --concurrency <n>       requests in flight (1-1024, default 32)
          --documents <n>         documents seeded before the run (1000-1000000, default 100000)
          --seed-parallelism <n>  batches in flight while seeding (1-16, default 2)
          --out <dir>             where results go (default bench/results)
          --suite <name>          http (default), realtime (hub latency, fan-out, memory per connection),
                                  realtime-attack (one subscriber's latency without and under issue 11's attack),
                                  soak (75% indexed queries / 25% creates for --duration, printing database
                                  and WAL sizes every --report-every), or
                                  triggers (after trigger: commit -> function start, runs lost, beside get-by-id), or
                                  schedules (an every-second schedule: start delay after each due time over
                                  --duration plus until 40 runs, beside get-by-id)
          --report-every <s>      soak: seconds between size reports (1-600, default 60)
          --wal-bound <MiB>       soak: the server's Baas:Storage:SqliteMaxWalBytes in MiB (1-65536,
                                  default: the server's, 64)
          --writes <n>            realtime: measured writes to one subscriber (100-100000, default 1000;
                                  fan-out to 1,000 and 500 subscribers uses a tenth of it each)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException(Usage);
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.\n{Usage}");
            }

            var value = args[++i];
            options = name switch
            {
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Number(name, value, 1, 600)) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(Number(name, value, 0, 60)) },
                "--concurrency" => options with { Concurrency = Number(name, value, 1, 1024) },
                "--documents" => options with { Documents = Number(name, value, 1000, 1_000_000) },
                "--seed-parallelism" => options with { SeedParallelism = Number(name, value, 1, 16) },
                "--out" => options with { OutputDirectory = value },
                "--suite" => value is "http" or "realtime" or "realtime-attack" or "soak" or "triggers" or "schedules" ? options with { Suite = value } : throw new ArgumentException($"--suite must be http, realtime, realtime-attack, soak, triggers or schedules, not '{value}'."),
                "--wal-bound" => options with { WalBoundMegabytes = Number(name, value, 1, 65536) },
                "--report-every" => options with { ReportEvery = TimeSpan.FromSeconds(Number(name, value, 1, 600)) },
                "--writes" => options with { RealtimeWrites = Number(name, value, 100, 100_000) },
                _ => throw new ArgumentException($"Unknown option {name}.\n{Usage}"),
            };
        }

        return options;
    }

    private static int Number(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            throw new ArgumentException($"{name} must be a whole number from {min} to {max}, not '{value}'.");
        }

        return number;
    }
}
