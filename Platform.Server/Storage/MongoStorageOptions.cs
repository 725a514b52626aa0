using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Platform.Server.Storage;

/// <summary>
/// <c>Baas:Storage:Mongo</c>: how durable a MongoDB write must be before the server answers (docs/storage.md,
/// "Durability"). The defaults make an acknowledged write one that a failover cannot roll back and that always
/// reaches the change stream (which only returns majority-committed changes).
/// </summary>
public sealed class MongoStorageOptions
{
    public const string Section = StorageOptions.Section + ":Mongo";

    /// <summary>
    /// The write concern's <c>w</c>: <c>majority</c> (default) or a number of members from 1 to 50. Every write uses
    /// it: single inserts, replaces and deletes, batches (their transaction's commit), collection and index
    /// management. With <c>majority</c>, reads use read concern <c>majority</c> too, so no node serves data that a
    /// failover could still roll back.
    /// </summary>
    public string WriteConcern { get; set; } = "majority";

    /// <summary>The write concern's <c>j</c>: whether the members counted must have written the change to their journal. Default true.</summary>
    public bool Journal { get; set; } = true;

    /// <summary>
    /// The write concern's <c>wtimeout</c>: how long the server waits for the members before it answers with a write
    /// concern error (the request then fails with 503 <c>storage_unavailable</c>; the write may still become durable).
    /// Default 10 s; 0 waits without bound.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan WriteConcernTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True for <c>majority</c> (any case).</summary>
    public bool IsMajority => string.Equals(WriteConcern?.Trim(), "majority", StringComparison.OrdinalIgnoreCase);

    /// <summary>The number of members <see cref="WriteConcern"/> names, or null when it is <c>majority</c> or not a number from 1 to 50.</summary>
    public int? Members =>
        int.TryParse(WriteConcern?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var members) && members is >= 1 and <= 50 ? members : null;

    /// <summary>The validation failures of these settings (reported under <c>Baas:Storage</c>).</summary>
    public IEnumerable<ValidationResult> Validate()
    {
        if (!IsMajority && Members is null)
        {
            yield return new ValidationResult(
                "must be 'majority' or a number of members from 1 to 50 (0, unacknowledged writes, is not allowed).",
                ["Mongo:WriteConcern"]);
        }

        if (WriteConcernTimeout < TimeSpan.Zero || WriteConcernTimeout > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("must be between 00:00:00 and 01:00:00.", ["Mongo:WriteConcernTimeout"]);
        }
    }
}
