using System.Text.Json.Nodes;
using Platform.Sdk;

namespace Platform.Admin.Components;

/// <summary>
/// A definition's save refused because another admin saved it since it was opened (412 <c>version_mismatch</c>), as the
/// editor pages keep it: first only the versions, then, after Reload, which of the admin's edits were kept.
/// </summary>
/// <param name="OpenedVersion">The version the editor was based on (sent as <c>If-Match</c>).</param>
/// <param name="CurrentVersion">The stored version the server named (<c>currentVersion</c>), when it did.</param>
/// <param name="Reloaded">Whether the current version has been loaded as the base of the next save.</param>
/// <param name="Kept">After Reload: a sentence saying which edits stayed in the editor.</param>
public sealed record EditConflictState(long OpenedVersion, long? CurrentVersion, bool Reloaded = false, string? Kept = null)
{
    /// <summary>The conflict a refused save reports, or null when <paramref name="error"/> is another problem.</summary>
    public static EditConflictState? From(BaasException error, long openedVersion)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Status != 412)
        {
            return null;
        }

        long? current = error.Problem?["currentVersion"] is JsonValue value && value.TryGetValue<long>(out var version) ? version : null;
        return new EditConflictState(openedVersion, current);
    }
}
