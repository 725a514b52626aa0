using System.Globalization;

namespace Baas.Bench;

/// <summary>Command-line settings, each bounded so a typo cannot start an endless run.</summary>
internal sealed record BenchOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether <c>--duration</c> was given (the soak's default is 30 minutes, not 10 s).</summary>
    public bool DurationGiven { get; init; }

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public int Concurrency { get; init; } = 32;

    public int Documents { get; init; } = 100_000;

    public int SeedParallelism { get; init; } = 2;

    public string? OutputDirectory { get; init; }

    /// <summary>
    /// <c>http</c> (the REST scenarios), <c>realtime</c> (latency, fan-out and memory of the hub), <c>realtime-attack</c>,
    /// <c>soak</c> (a mixed read/write load for <see cref="Duration"/>, printing database and WAL sizes every
    /// <see cref="ReportEvery"/>), <c>triggers</c> (after-trigger latency and losses), <c>functions</c> (before-trigger and
    /// callable throughput beside their baselines), <c>schedules</c> (start delay of an every-second schedule) or <c>dashboard</c> (the admin dashboard in Chromium: first-load bytes,
    /// time to the collections page, the documents page on <see cref="Documents"/> documents, NDJSON import against
    /// <c>/api/batch</c>).
    /// </summary>
    public string Suite { get; init; } = "http";

    /// <summary>Measured writes of the realtime suite's single-subscriber latency test (fan-out uses a tenth).</summary>
    public int RealtimeWrites { get; init; } = 1000;

    /// <summary>
    /// Realtime: the subscribers are .NET SignalR <c>HubConnection</c>s (<c>hub</c>, the measurement before 2026-12-06 16:00 UTC)
    /// rather than the lighter <see cref="WireSubscriber"/>s (<c>wire</c>, the default).
    /// </summary>
    public bool HubClients { get; init; }

    /// <summary>Warm-up writes before each fan-out size's measured ones; null: a tenth of those (at least 1).</summary>
    public int? FanOutWarmup { get; init; }

    /// <summary>Soak: how often to print the sizes of the database, its WAL and the server's RSS.</summary>
    public TimeSpan ReportEvery { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Soak: the server's <c>Baas:Storage:SqliteMaxWalBytes</c> in MiB; null keeps the server's default.</summary>
    public int? WalBoundMegabytes { get; init; }

    /// <summary>Soak: the share of the measured capacity to run at (default one half).</summary>
    public double SoakLoad { get; init; } = 0.5;

    /// <summary>Soak: realtime subscribers connected throughout.</summary>
    public int SoakSubscribers { get; init; } = 20;

    /// <summary>Realtime: the fan-out sizes, in ascending order (issue 13: 1,000 and 5,000).</summary>
    public IReadOnlyList<int> FanOutSubscribers { get; init; } = [1000, 5000];

    /// <summary>The raw <c>--subscribers</c> list, checked against the suite once every option is read.</summary>
    private IReadOnlyList<int>? SubscribersGiven { get; init; }

    /// <summary>Soak: how long the capacity is measured before the soak.</summary>
    public TimeSpan SoakCapacityProbe { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Soak: the largest RSS slope (MiB per minute, least squares over the second half) that counts as flat.</summary>
    public double SoakMaxSlope { get; init; } = 1.0;

    /// <summary>Memory: how many times each build is started to measure start-up and idle RSS.</summary>
    public int MemoryStarts { get; init; } = 5;

    /// <summary>Memory and dashboard: a published <c>Platform.Server.dll</c> (or a self-contained publish's <c>Platform.Server</c> executable) measured beside this tree's build in the same run (before/after).</summary>
    public string? Baseline { get; init; }

    /// <summary>HTTP, memory, realtime, dashboard and functions: an already published <c>Platform.Server.dll</c> (or a self-contained publish's <c>Platform.Server</c> executable) to measure instead of publishing this tree.</summary>
    public string? Server { get; init; }

    /// <summary>HTTP: run only the scenarios whose names start with one of these (case-insensitive); null runs them all.</summary>
    public IReadOnlyList<string>? Only { get; init; }

    /// <summary>Dashboard: the <c>wwwroot</c> of a published empty <c>dotnet new blazorwasm</c> app, cold-loaded beside the dashboard (the runtime's floor).</summary>
    public string? Floor { get; init; }

    /// <summary>Dashboard: cold loads of the collections page per build (and openings of the documents page); medians are reported.</summary>
    public int DashboardLoads { get; init; } = 3;

    /// <summary>The default soak duration (issue 11, item 13).</summary>
    public static readonly TimeSpan SoakDefaultDuration = TimeSpan.FromMinutes(30);

    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Baas.Bench -- [options]
          --duration <s>          measured seconds per scenario (1-600, default 10; soak: 1-14400, default 1800)
          --warmup <s>            unmeasured seconds before each scenario (0-60, default 2)
          --concurrency <n>       requests in flight (1-1024, default 32)
          --documents <n>         documents seeded before the run (1000-1000000, default 100000)
          --seed-parallelism <n>  batches in flight while seeding (1-16, default 2)
          --out <dir>             where results go (default bench/results)
          --suite <name>          http (default), realtime (hub latency, fan-out, memory per connection),
                                  realtime-attack (one subscriber's latency without and under issue 11's attack),
                                  query-attack (get-by-id and /health/ready without and under issue 11's query attack),
                                  soak (capacity of a mixed load, then half of it for --duration with realtime
                                  subscribers, a row every --report-every, memory slope and pass/fail),
                                  triggers (after trigger: commit -> function start, runs lost, beside get-by-id),
                                  functions (creates with vs without a before trigger; callable vs get-by-id),
                                  memory (start -> first 200 on /health/ready, the CPU used by then and idle RSS over --starts starts,
                                  then get/query/patch/create with the bytes the server allocates per request
                                  and the RSS after the load),
                                  schedules (an every-second schedule: start delay after each due time over
                                  --duration plus until 40 runs, beside get-by-id), or
                                  dashboard (the published dashboard in /usr/bin/chromium: first-load bytes with
                                  brotli, time to the collections page, the documents page on --documents documents,
                                  NDJSON import vs /api/batch of the same documents)
          --report-every <s>      soak: seconds between report rows (1-600, default 60)
          --load <percent>        soak: share of the measured capacity to run at (1-100, default 50)
          --subscribers <n>       soak: realtime subscribers (0-1000, default 20); realtime: the fan-out sizes,
                                  comma-separated (each 1-20000, default 1000,5000)
          --capacity-probe <s>    soak: seconds of closed-loop load that measure the capacity (5-300, default 20)
          --max-slope <MiB/min>   soak: largest RSS slope over the second half that passes, in hundredths
                                  of a MiB per minute (1-10000, default 100 = 1.00 MiB/min)
          --wal-bound <MiB>       soak: the server's Baas:Storage:SqliteMaxWalBytes in MiB (1-65536,
                                  default: the server's, 256)
          --starts <n>            memory: starts per build for start-up time and idle RSS (1-50, default 5)
          --baseline <dll>        memory, dashboard: a published Platform.Server.dll (e.g. of main) measured beside
                                  this tree's build in the same run, starts (memory) or cold loads (dashboard)
                                  alternating; a self-contained publish's Platform.Server executable runs as it is
          --server <dll>          http, memory, realtime, dashboard, functions, query-attack: measure this published Platform.Server.dll instead
                                  of publishing the tree (e.g. a build of main, for a before/after), or a self-contained
                                  publish's Platform.Server executable
          --only <names>          http, functions: run only the scenarios whose names start with one of these
                                  comma-separated words (e.g. `--only get-by-id,create`; the set-up and seeding are
                                  unchanged; functions: `--only "create (before"` loads the triggered creates alone,
                                  for a profile)
          --floor <dir>           dashboard: the wwwroot of a published empty `dotnet new blazorwasm` app, served
                                  as static files and cold-loaded after each round of the dashboard's loads (the
                                  WebAssembly runtime's own start on this machine)
          --loads <n>             dashboard: cold loads of the collections page per build and openings of the
                                  documents page (1-30, default 3)
          --writes <n>            realtime: measured writes to one subscriber (100-100000, default 1000;
                                  each fan-out size uses a tenth of it)
          --fanout-warmup <n>     realtime: warm-up writes before each fan-out size's measured ones (0-10000,
                                  default a tenth of them); 30 or more lets the runtime finish compiling the
                                  send path (tiered JIT) before the server's CPU per recipient is measured
          --subscriber-client <c> realtime: wire (default: SignalR's JSON hub protocol over plain websockets, each
                                  event parsed and checked in order) or hub (.NET SignalR HubConnections, the
                                  subscribers of runs before 2026-12-06 16:00 UTC)
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
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Number(name, value, 1, 14_400)), DurationGiven = true },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(Number(name, value, 0, 60)) },
                "--concurrency" => options with { Concurrency = Number(name, value, 1, 1024) },
                "--documents" => options with { Documents = Number(name, value, 1000, 1_000_000) },
                "--seed-parallelism" => options with { SeedParallelism = Number(name, value, 1, 16) },
                "--out" => options with { OutputDirectory = value },
                "--suite" => value is "http" or "realtime" or "realtime-attack" or "soak" or "triggers" or "functions" or "dashboard" or "schedules" or "memory" or "query-attack" ? options with { Suite = value } : throw new ArgumentException($"--suite must be http, realtime, realtime-attack, query-attack, soak, triggers, functions, dashboard, schedules or memory, not '{value}'."),
                "--server" => File.Exists(value) ? options with { Server = Path.GetFullPath(value) } : throw new ArgumentException($"--server must name a published Platform.Server.dll or a self-contained publish's Platform.Server executable; '{value}' does not exist."),
                "--starts" => options with { MemoryStarts = Number(name, value, 1, 50) },
                "--baseline" => File.Exists(value) ? options with { Baseline = Path.GetFullPath(value) } : throw new ArgumentException($"--baseline must name a published Platform.Server.dll or a self-contained publish's Platform.Server executable; '{value}' does not exist."),
                "--wal-bound" => options with { WalBoundMegabytes = Number(name, value, 1, 65536) },
                "--report-every" => options with { ReportEvery = TimeSpan.FromSeconds(Number(name, value, 1, 600)) },
                "--load" => options with { SoakLoad = Number(name, value, 1, 100) / 100.0 },
                "--subscribers" => options with { SubscribersGiven = [.. value.Split(',').Select(part => Number(name, part.Trim(), 0, 20_000))] },
                "--capacity-probe" => options with { SoakCapacityProbe = TimeSpan.FromSeconds(Number(name, value, 5, 300)) },
                "--max-slope" => options with { SoakMaxSlope = Number(name, value, 1, 10_000) / 100.0 },
                "--writes" => options with { RealtimeWrites = Number(name, value, 100, 100_000) },
                "--fanout-warmup" => options with { FanOutWarmup = Number(name, value, 0, 10_000) },
                "--subscriber-client" => value is "wire" or "hub" ? options with { HubClients = value == "hub" } : throw new ArgumentException($"--subscriber-client must be wire or hub, not '{value}'."),
                "--floor" => File.Exists(Path.Combine(value, "index.html")) ? options with { Floor = Path.GetFullPath(value) } : throw new ArgumentException($"--floor must name the wwwroot of a published Blazor WebAssembly app; '{value}' holds no index.html."),
                "--only" => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } names ? options with { Only = names } : throw new ArgumentException("--only needs at least one scenario name, e.g. get-by-id,create."),
                "--loads" => options with { DashboardLoads = Number(name, value, 1, 30) },
                _ => throw new ArgumentException($"Unknown option {name}.\n{Usage}"),
            };
        }

        if (options.Suite != "soak" && options.Duration > TimeSpan.FromSeconds(600))
        {
            throw new ArgumentException($"--duration must be a whole number from 1 to 600 outside the soak suite.\n{Usage}");
        }

        if (options.SubscribersGiven is { } subscribers)
        {
            options = options.Suite switch
            {
                "soak" when subscribers is [var soak and <= 1000] => options with { SoakSubscribers = soak },
                "soak" => throw new ArgumentException("--subscribers of the soak suite is one number from 0 to 1000."),
                _ when subscribers.All(n => n >= 1) => options with { FanOutSubscribers = [.. subscribers.Distinct().Order()] },
                _ => throw new ArgumentException("--subscribers of the realtime suite is a comma-separated list of numbers from 1 to 20000."),
            };
        }

        return options.Suite == "soak" && !options.DurationGiven ? options with { Duration = SoakDefaultDuration } : options;
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
