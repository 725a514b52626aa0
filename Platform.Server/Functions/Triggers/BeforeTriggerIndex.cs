using System.Collections.Frozen;

namespace Platform.Server.Functions.Triggers;

/// <summary>
/// Which enabled functions have a <c>before</c> trigger on which collection and operation, built once per catalog
/// change so that a write looks its triggers up with one dictionary read (and none when the collection has no
/// trigger). Within one collection and operation the functions run in name order (ordinal).
/// </summary>
internal sealed class BeforeTriggerIndex<T>
    where T : class
{
    private readonly FrozenDictionary<string, T?[]> _byCollection;

    private BeforeTriggerIndex(FrozenDictionary<string, T?[]> byCollection) => _byCollection = byCollection;

    /// <summary>How many collections have at least one <c>before</c> trigger.</summary>
    public int Count => _byCollection.Count;

    /// <summary>
    /// Builds the index from the current definitions. <paramref name="entry"/> makes the per-(collection, operation)
    /// value from its functions (already in name order), once, so that a lookup allocates nothing.
    /// </summary>
    public static BeforeTriggerIndex<T> Build(IEnumerable<FunctionDefinition> functions, Func<FunctionDefinition[], T> entry)
    {
        ArgumentNullException.ThrowIfNull(functions);
        ArgumentNullException.ThrowIfNull(entry);
        var lists = new Dictionary<string, List<FunctionDefinition>?[]>(StringComparer.Ordinal);
        foreach (var function in functions.Where(f => f.Enabled).OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            foreach (var trigger in function.Triggers)
            {
                if (trigger.Phase != TriggerPhase.Before)
                {
                    continue;
                }

                if (!lists.TryGetValue(trigger.Collection, out var byOperation))
                {
                    byOperation = new List<FunctionDefinition>?[3];
                    lists[trigger.Collection] = byOperation;
                }

                foreach (var operation in trigger.On)
                {
                    var list = byOperation[(int)operation] ??= [];

                    // Two before triggers of one function on the same collection and operation still run it once.
                    if (list.Count == 0 || !ReferenceEquals(list[^1], function))
                    {
                        list.Add(function);
                    }
                }
            }
        }

        return new BeforeTriggerIndex<T>(lists.ToFrozenDictionary(
            pair => pair.Key,
            pair => pair.Value.Select(list => list is null ? null : entry([.. list])).ToArray(),
            StringComparer.Ordinal));
    }

    /// <summary>The entry for this collection and operation, or null when no enabled function has a <c>before</c> trigger on it.</summary>
    public T? Find(string collection, TriggerOperation operation) =>
        _byCollection.TryGetValue(collection, out var byOperation) ? byOperation[(int)operation] : null;
}
