using System.ComponentModel.DataAnnotations;

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

    /// <summary>How long a SQLite writer waits for the file lock before failing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SqliteBusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == StorageProvider.Mongo && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Baas:Storage:ConnectionString is required when Baas:Storage:Provider is Mongo.",
                [nameof(ConnectionString)]);
        }
    }
}
