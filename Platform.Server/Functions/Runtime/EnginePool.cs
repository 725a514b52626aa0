using Jint;
using Jint.Native;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// A warm engine: one function version's module already loaded and evaluated (so module-level state lives
/// as long as the engine, like a warm Lambda or Cloud Functions instance). Used by one run at a time.
/// </summary>
internal sealed class PooledEngine(string name, int version, string code, Engine engine, JsValue defaultExport) : IDisposable
{
    public string Name { get; } = name;

    public int Version { get; } = version;

    public string Code { get; } = code;

    public Engine Engine { get; } = engine;

    public JsValue DefaultExport { get; } = defaultExport;

    /// <summary>The run using the engine now: <c>console.log</c> writes to its log, and <c>ctx</c>'s shared parts act for it.</summary>
    public FunctionRun? Current { get; set; }

    /// <summary>The parts of <c>ctx</c> made on the engine's first run and shared by its later runs.</summary>
    public ContextParts? Parts { get; set; }

    /// <summary>Settles the runs' promises with two handlers made once (set when the engine is made, before any script ran).</summary>
    public PromiseSettler? Settler { get; init; }

    /// <summary>
    /// The default export is <see cref="FunctionCode.WithoutAsync"/>'s plain form of an <c>async</c> function: what it
    /// returns is its promise's value, and what it throws its promise's rejection.
    /// </summary>
    public bool Synchronous { get; init; }

    public bool Matches(string name, int version, string code) =>
        Version == version && string.Equals(Name, name, StringComparison.Ordinal) && (ReferenceEquals(Code, code) || string.Equals(Code, code, StringComparison.Ordinal));

    public void Dispose() => Engine.Dispose();
}

/// <summary>
/// Idle warm engines keyed by (function, version, code), least recently used dropped first when more than
/// <see cref="FunctionOptions.EnginePoolSize"/> are idle. An engine is taken out for a run and given back only
/// after a clean end, so no two runs ever share one.
/// </summary>
internal sealed class EnginePool(int capacity) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<PooledEngine> _idle = [];

    public PooledEngine? Take(string name, int version, string code)
    {
        lock (_gate)
        {
            for (var node = _idle.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Matches(name, version, code))
                {
                    _idle.Remove(node);
                    return node.Value;
                }
            }
        }

        return null;
    }

    public void Return(PooledEngine engine)
    {
        PooledEngine? evicted = engine;
        if (capacity > 0)
        {
            lock (_gate)
            {
                _idle.AddLast(engine);
                evicted = null;
                if (_idle.Count > capacity)
                {
                    evicted = _idle.First!.Value;
                    _idle.RemoveFirst();
                }
            }
        }

        evicted?.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var engine in _idle)
            {
                engine.Dispose();
            }

            _idle.Clear();
        }
    }
}

/// <summary>
/// Parsed modules by (function, version), so a new engine for a known version does not parse again, with whether the
/// module is bounded (<see cref="FunctionCode.IsBounded"/>). Prepared modules are immutable and shared across engines.
/// </summary>
internal sealed class ModuleCache(int capacity)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(string Name, int Version, string Code, Prepared<Acornima.Ast.Module> Module, bool Bounded, bool Synchronous)> _entries = [];

    /// <summary>
    /// The cached module of a function version, whether it is bounded, and whether it is <see cref="FunctionCode.WithoutAsync"/>'s
    /// form (its default export's outcome is its promise's).
    /// </summary>
    public bool TryGet(string name, int version, string code, out Prepared<Acornima.Ast.Module> module, out bool bounded, out bool synchronous)
    {
        lock (_gate)
        {
            for (var node = _entries.Last; node is not null; node = node.Previous)
            {
                var entry = node.Value;
                if (entry.Version == version && entry.Name == name && (ReferenceEquals(entry.Code, code) || entry.Code == code))
                {
                    if (node != _entries.Last)
                    {
                        _entries.Remove(node);
                        _entries.AddLast(node);
                    }

                    module = entry.Module;
                    bounded = entry.Bounded;
                    synchronous = entry.Synchronous;
                    return true;
                }
            }
        }

        module = default;
        bounded = false;
        synchronous = false;
        return false;
    }

    /// <summary>
    /// Keeps <paramref name="module"/>, or its <see cref="FunctionCode.WithoutAsync"/> form when it has one, and answers the
    /// one kept (<paramref name="synchronous"/>: it is that form).
    /// </summary>
    public Prepared<Acornima.Ast.Module> Add(string name, int version, string code, Prepared<Acornima.Ast.Module> module, out bool synchronous)
    {
        var bounded = module.Program is { } program && FunctionCode.IsBounded(program);
        var plain = bounded ? FunctionCode.WithoutAsync(code, module) : null;
        synchronous = plain is not null;
        module = plain ?? module;
        lock (_gate)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Version == version && node.Value.Name == name)
                {
                    _entries.Remove(node);
                    break;
                }
            }

            _entries.AddLast((name, version, code, module, bounded, synchronous));
            if (_entries.Count > capacity)
            {
                _entries.RemoveFirst();
            }
        }

        return module;
    }
}
