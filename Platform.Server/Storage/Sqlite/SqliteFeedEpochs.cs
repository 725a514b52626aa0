using System.Globalization;
using System.Security.Cryptography;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// The epochs of the SQLite change feed: which positions belong to the history of this database. A position is
/// <c>&lt;epoch&gt;-&lt;seq&gt;</c>. Each time the store is opened it starts a new epoch, recorded in
/// <c>baas_feed_epochs</c> with the last sequence at that moment; an earlier epoch of the table then spans up to where
/// its successor started. A position is of this feed when its epoch is the current one, or an earlier one of the table
/// and its sequence is at most that epoch's end.
/// </summary>
/// <remarks>
/// Sequence numbers alone are reused after a restore: a backup taken at sequence 80 and restored numbers its next
/// changes 81, 82, ... again, so a client (or an after trigger) that held 110 from the lost timeline would resume, once
/// the new timeline passes 110, after a change it never saw, silently. A backup holds the epochs of its own past only:
/// on the restored database, the epoch that was current when the backup was taken ends at the backup's last sequence
/// (the next open starts an epoch there), and every epoch after it is unknown. So positions of the lost timeline are
/// refused (the client takes a snapshot; a trigger records <c>missed_events</c>), while those up to the backup, which
/// both timelines share, still resume. The same holds when a crash loses the last commits of the log. A start costs one
/// row and no position held by a client: positions of earlier epochs of the same history stay valid.
/// A bare sequence number (positions before epochs existed) is read as a position of the current epoch.
/// Each start also drops the earlier epochs no position can resume from any more, so the table does not grow by a row
/// per start for ever: an epoch whose end is before the last sequence, and whose end + 1 the log no longer holds (the
/// feed's retention removed it), only has positions a reader would be told are no longer retained. Those positions are
/// still refused (now as unknown, the same <c>ChangeHistoryUnavailableException</c>); every position that resumes today
/// (of the current epoch, of an epoch ending at the last sequence, or whose next change the log still holds, as a
/// hold keeps it for an after trigger's checkpoint) keeps its epoch.
/// </remarks>
internal sealed class SqliteFeedEpochs
{
    public const string Table = "baas_feed_epochs";

    private const string CreateSql =
        "CREATE TABLE IF NOT EXISTS " + Table + " (n INTEGER PRIMARY KEY, epoch TEXT NOT NULL UNIQUE, after_seq INTEGER NOT NULL, opened_at INTEGER NOT NULL)";

    private const string InsertSql = "INSERT INTO " + Table + " (epoch, after_seq, opened_at) VALUES (@p0, @p1, @p2)";

    private const string ListSql = "SELECT n, epoch, after_seq FROM " + Table + " ORDER BY n";

    private const string PruneSql = "DELETE FROM " + Table + " WHERE n < @p0";

    // Each earlier epoch: the last sequence it may have handed out (where the next one started).
    private readonly Dictionary<string, long> _ends;

    private SqliteFeedEpochs(string current, Dictionary<string, long> ends)
    {
        Current = current;
        _ends = ends;
    }

    /// <summary>The epoch of the positions this store hands out.</summary>
    public string Current { get; }

    /// <summary>
    /// Starts a new epoch after <paramref name="lastSequence"/> (on the writer, at open), drops the earlier ones no
    /// position can resume from (<paramref name="oldestRetained"/>: the oldest sequence the log holds, null when it
    /// holds none) and reads the rest.
    /// </summary>
    public static SqliteFeedEpochs Start(SqliteSession writer, long lastSequence, long? oldestRetained, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.ExecuteOnce(CreateSql);
        var current = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        writer.Execute(InsertSql, [current, lastSequence, now.ToUnixTimeMilliseconds()]);

        var epochs = new List<(long N, string Epoch, long After)>();
        using (var reader = writer.Command(ListSql).ExecuteReader())
        {
            while (reader.Read())
            {
                epochs.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        // An earlier epoch ends where its successor starts. Its positions resume while its end is the last sequence or
        // the log holds the change after its end; ends grow with n, so the epochs that fail both are a prefix (never
        // the current one, the last, nor its predecessor, which ends at the last sequence).
        var keepFrom = 0;
        while (keepFrom + 1 < epochs.Count)
        {
            var end = epochs[keepFrom + 1].After;
            if (end >= lastSequence || (oldestRetained is { } oldest && end + 1 >= oldest))
            {
                break;
            }

            keepFrom++;
        }

        if (keepFrom > 0)
        {
            writer.Execute(PruneSql, [epochs[keepFrom].N]);
        }

        var ends = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = keepFrom; i + 1 < epochs.Count; i++)
        {
            ends[epochs[i].Epoch] = epochs[i + 1].After;
        }

        return new SqliteFeedEpochs(current, ends);
    }

    /// <summary>The position of <paramref name="sequence"/> in the current epoch: one string, as the bare number was.</summary>
    public string Format(long sequence) => string.Create(CultureInfo.InvariantCulture, $"{Current}-{sequence}");

    /// <summary>
    /// The sequence of <paramref name="position"/> when it is a position of this database's history (for the current
    /// epoch, or a bare number, the caller still checks it against the last committed sequence); false for a position
    /// that is malformed, of an unknown epoch, or past the end of its epoch.
    /// </summary>
    public bool TryResolve(string position, out long sequence)
    {
        ArgumentNullException.ThrowIfNull(position);
        var dash = position.LastIndexOf('-');
        if (dash < 0)
        {
            return TryParseSequence(position, out sequence);
        }

        if (!TryParseSequence(position.AsSpan(dash + 1), out sequence))
        {
            return false;
        }

        var epoch = position.AsSpan(0, dash);
        if (epoch.SequenceEqual(Current))
        {
            return true;
        }

        return _ends.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(epoch, out var end) && sequence <= end;
    }

    /// <summary>The decimal <c>seq</c>, nothing else: no sign, no spaces, no leading <c>+</c>.</summary>
    private static bool TryParseSequence(ReadOnlySpan<char> text, out long sequence) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
}
