using System.Text.Json.Nodes;

namespace Platform.Server.Documents;

/// <summary>
/// JSON Merge Patch (RFC 7386): null removes a member, an object merges recursively into an object
/// (replacing anything else), any other value replaces. Arrays are replaced whole.
/// </summary>
public static class MergePatch
{
    /// <summary>A new object: <paramref name="target"/> (left untouched) with <paramref name="patch"/> merged in.</summary>
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        return ApplyInPlace(target.DeepClone().AsObject(), patch);
    }

    /// <summary>
    /// Merges <paramref name="patch"/> into <paramref name="target"/> itself and returns it, for a caller that owns
    /// the target (its own copy). The patch's values are copied, never moved, so it can be applied again.
    /// </summary>
    public static JsonObject ApplyInPlace(JsonObject target, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(patch);
        Merge(target, patch);
        return target;
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            switch (value)
            {
                case null:
                    target.Remove(name);
                    break;
                case JsonObject patchObject:
                    if (target[name] is not JsonObject targetObject)
                    {
                        targetObject = [];
                        target[name] = targetObject;
                    }

                    Merge(targetObject, patchObject);
                    break;
                default:
                    target[name] = value.DeepClone();
                    break;
            }
        }
    }
}
