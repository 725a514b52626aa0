using System.Collections;
using System.ComponentModel;
using System.Reflection;

namespace Platform.Server.Hosting;

/// <summary>
/// The keys the server understands under <c>Baas</c>: the bindable properties of every options class that declares a
/// <c>Section</c> constant, so a new option is known the moment its class is. Finds the keys a configuration holds that
/// nothing binds (a misspelt <c>Baas:Query:MaxConcurent</c> is otherwise ignored without a word), with the closest
/// known key as a suggestion.
/// </summary>
public sealed class SettingsSchema
{
    private const int MaxDepth = 6;

    private readonly Node _root = new(BaasOptions.Section);

    /// <summary>The schema of <paramref name="optionsTypes"/>, each bound at the path in its <c>Section</c> constant.</summary>
    public SettingsSchema(IEnumerable<Type> optionsTypes)
    {
        ArgumentNullException.ThrowIfNull(optionsTypes);
        foreach (var type in optionsTypes)
        {
            if (SectionOf(type) is not { } section)
            {
                throw new ArgumentException($"{type.Name} has no 'Section' constant under '{BaasOptions.Section}'.", nameof(optionsTypes));
            }

            var node = _root;
            foreach (var segment in section.Split(':').Skip(1))
            {
                node = node.Child(segment);
            }

            AddProperties(node, type, 0);
        }
    }

    /// <summary>
    /// Every options class of the server (a type with a <c>public const string Section</c> under <c>Baas</c>), named here
    /// rather than found by reflection at start-up: <c>Assembly.GetTypes()</c> loads every assembly the server's types
    /// refer to (the MongoDB driver, Jint, NJsonSchema), which the server otherwise loads only when it needs them: 6 MiB
    /// more idle memory. A test compares this list with <see cref="DiscoverOptionsTypes"/>, so a new options class
    /// cannot be left out.
    /// </summary>
    public static IReadOnlyList<Type> ServerOptionsTypes { get; } =
    [
        typeof(Admin.AdminOptions), typeof(AdminTools.AdminToolsOptions), typeof(Functions.Triggers.AfterTriggerOptions),
        typeof(Audit.AuditOptions), typeof(Auth.AuthOptions), typeof(BaasOptions), typeof(Documents.BatchOptions),
        typeof(Storage.Changes.ChangeFeedOptions), typeof(Collections.CollectionOptions), typeof(CrossOriginOptions),
        typeof(Auth.DataProtectionKeyOptions), typeof(Documents.DocumentLimits), typeof(Email.EmailOptions),
        typeof(Storage.Filters.FilterLimits), typeof(Functions.FunctionOptions), typeof(Memory.MemoryOptions), typeof(Storage.MongoStorageOptions),
        typeof(Documents.QueryOptions), typeof(RateLimiting.RateLimitOptions), typeof(Realtime.RealtimeOptions),
        typeof(Common.RequestBodyLimits), typeof(RequestHeadLimits), typeof(Functions.Schedules.ScheduleOptions),
        typeof(ShutdownOptions), typeof(Email.SmtpOptions), typeof(Storage.StorageOptions),
        typeof(Telemetry.TelemetryOptions), typeof(Users.UserAuthOptions),
    ];

    /// <summary>The server's settings.</summary>
    public static SettingsSchema ForServer() => new(ServerOptionsTypes);

    /// <summary>The options classes of <paramref name="assembly"/> found by reflection (tests; it loads every referenced assembly).</summary>
    public static IReadOnlyList<Type> DiscoverOptionsTypes(System.Reflection.Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return [.. assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && SectionOf(t) is not null)];
    }

    /// <summary>
    /// The keys under <c>Baas</c> in <paramref name="configuration"/> that no option binds: the topmost such key of each
    /// branch (a misspelt section is one finding, not one per key below it), with the closest known key when one is a
    /// small edit away. Keys below a list or dictionary option are never findings.
    /// </summary>
    public IReadOnlyList<UnknownSetting> FindUnknown(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var found = new List<UnknownSetting>();
        Walk(configuration.GetSection(BaasOptions.Section), _root, BaasOptions.Section, found);
        return found;
    }

    private static void Walk(IConfigurationSection section, Node node, string knownPath, List<UnknownSetting> found)
    {
        if (node.Open)
        {
            return;
        }

        foreach (var child in section.GetChildren())
        {
            if (node.Children.TryGetValue(child.Key, out var known))
            {
                Walk(child, known, knownPath + ":" + known.Name, found);
            }
            else
            {
                var suggestion = Closest(child.Key, node.Children.Values.Select(c => c.Name));
                found.Add(new UnknownSetting(child.Path, suggestion is null ? null : knownPath + ":" + suggestion));
            }
        }
    }

    private static string? SectionOf(Type type) =>
        type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field
        && field.GetRawConstantValue() is string section
        && (section == BaasOptions.Section || section.StartsWith(BaasOptions.Section + ":", StringComparison.Ordinal))
            ? section
            : null;

    // What ConfigurationBinder binds: public instance properties with a public setter (computed, get-only ones are not
    // settings, e.g. BaasOptions.DataDirFullPath).
    private static void AddProperties(Node node, Type type, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.SetMethod is not { IsPublic: true })
            {
                continue;
            }

            var child = node.Child(property.Name);
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(propertyType))
            {
                continue;
            }

            if (typeof(IEnumerable).IsAssignableFrom(propertyType) || depth >= MaxDepth)
            {
                // Lists and dictionaries take keys of the operator's choosing.
                child.Open = true;
            }
            else
            {
                AddProperties(child, propertyType, depth + 1);
            }
        }
    }

    // The binder reads a value from a string through the type's converter (enums, numbers, TimeSpan, Uri, ...).
    private static bool IsScalar(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    private static string? Closest(string key, IEnumerable<string> candidates)
    {
        var allowed = Math.Clamp(key.Length / 4, 1, 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance <= allowed && distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    // Edit distance counting a swap of two neighbours as one edit (optimal string alignment): "Qeury" is one typo
    // away from "Query", not two. Keys are short, so the full table is cheap.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    // Configuration keys are case-insensitive; Name keeps the declared spelling for suggestions.
    private sealed class Node(string name)
    {
        public string Name { get; } = name;

        public Dictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);

        public bool Open { get; set; }

        public Node Child(string name)
        {
            if (!Children.TryGetValue(name, out var child))
            {
                child = new Node(name);
                Children.Add(name, child);
            }

            return child;
        }
    }
}

/// <summary>A configuration key nothing binds, and the known key it is probably a misspelling of.</summary>
public sealed record UnknownSetting(string Key, string? Suggestion);
