using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Storage;

public enum StorageProvider
{
    Sqlite,
    Mongo,
}

/// <summary><c>Baas:Storage</c>: which provider stores the data and how to reach it.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Baas:Storage";

    /// <summary><c>Sqlite</c> (default; a file under <c>Baas:DataDir</c>) or <c>Mongo</c>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>MongoDB connection string (required for <c>Mongo</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>MongoDB database name.</summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,63}$")]
    public string Database { get; set; } = "baas";

    /// <summary>SQLite file name inside <c>Baas:DataDir</c>.</summary>
    [RegularExpression(@"^[A-Za-z0-9_.-]{1,128}$")]
    public string SqliteFileName { get; set; } = "baas.db";

    /// <summary>
    /// SQLite's page cache per connection, in KiB (<c>PRAGMA cache_size</c>; SQLite's own default is 2,000). The store
    /// keeps a writer, a checkpointer and up to 2 × cores + 4 pooled readers, each with its own cache, so this times about
    /// ten is what the caches can hold after a load; pages past it are read again from the operating system's file
    /// cache (issue 13, item 5: docs/deployment.md, "Memory, GC and start-up").
    /// </summary>
    [Range(64, 1024 * 1024)]
    public int SqliteCacheSizeKiB { get; set; } = 1024;

    /// <summary>How long a SQLite writer waits for the file lock before failing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SqliteBusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The bound on the SQLite write-ahead log (<c>baas.db-wal</c>). The checkpointer resets the log (the next commit
    /// writes it from its beginning) once it could reach this by the round after next at the pace of the fastest of the
    /// last eight rounds, and never before it holds half of this, holding writes back only for the few milliseconds the
    /// reset needs; past the whole bound, with a long read keeping the log, see <see cref="SqliteCheckpointWait"/>. Also
    /// SQLite's <c>journal_size_limit</c>: a larger file is trimmed back to this at the first commit after a reset.
    /// Default 256 MiB (each reset holds writes back for a few milliseconds, so a larger bound means fewer of them: at the
    /// benchmark's create pace one every 2-3 s instead of two a second; docs/storage.md weighs that against the disk);
    /// 1 MiB to 64 GiB.
    /// </summary>
    [Range(typeof(long), "1048576", "68719476736")]
    public long SqliteMaxWalBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// How often the checkpointer copies the log into the database file (a PASSIVE checkpoint: holds nothing back) and
    /// checks whether the log needs a reset. Default 250 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan SqliteCheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long a reset of the log waits, with writes held back, for reads that started before it to finish; when they
    /// take longer it gives up and a later round retries. Default 20 ms; 1 ms to 10 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan SqliteWalResetWait { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The fallback past the bound: when the log holds more than <see cref="SqliteMaxWalBytes"/> and a long read has kept
    /// it from being reset for this long, the checkpointer holds writes back and waits up to this long again for the
    /// reads in flight, then resets the log. Default 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan SqliteCheckpointWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Group commit on SQLite: writes that arrive while one commit runs wait for it and then share the next
    /// transaction (a group with a failing write is rolled back and run again with a savepoint per write, so that write
    /// fails alone), up to this many operations per
    /// transaction (a batch counts all its operations and is never split; one larger batch still commits whole).
    /// Each write is acknowledged only after its transaction commits. 1 commits every write on its own.
    /// Default 256; 1 to 100,000.
    /// </summary>
    [Range(1, 100_000)]
    public int SqliteGroupCommitMaxOperations { get; set; } = 256;

    // Checked by Validate below (MongoStorageOptions.Validate names the full keys); not [ValidateObjectMembers].
#pragma warning disable SYSLIB1212
    /// <summary><c>Baas:Storage:Mongo</c>: durability of MongoDB writes (write concern) and the matching read concern.</summary>
    public MongoStorageOptions Mongo { get; set; } = new();
#pragma warning restore SYSLIB1212

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var failure in Mongo?.Validate() ?? [])
        {
            yield return failure;
        }

        if (Provider == StorageProvider.Mongo && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Baas:Storage:ConnectionString is required when Baas:Storage:Provider is Mongo.",
                [nameof(ConnectionString)]);
        }
    }
}

/// <summary>Checks <see cref="StorageOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>;
