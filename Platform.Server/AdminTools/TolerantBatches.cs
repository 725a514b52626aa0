using Platform.Server.Common;
using Platform.Server.Documents;

namespace Platform.Server.AdminTools;

/// <summary>
/// Runs a page of commands through the <see cref="DocumentService"/> as one atomic batch, and when one command fails,
/// lets the caller decide: skip it (the commands before it are written as a batch, then the rest) or stop. A page of
/// good commands costs one store write; each failing command costs a re-plan of the commands around it, not one write
/// per command.
/// </summary>
internal static class TolerantBatches
{
    /// <summary>Writes <paramref name="commands"/>; returns the results of those written, in order.</summary>
    /// <param name="documents">The document service.</param>
    /// <param name="commands">One page of commands.</param>
    /// <param name="onFailure">
    /// Called with the index (within <paramref name="commands"/>) and the error of a failing command; it throws to stop
    /// (nothing of the current attempt is written) or returns to skip the command.
    /// </param>
    /// <param name="cancellationToken">Stops between attempts.</param>
    public static async Task<List<CommandResult>> ExecuteAsync(DocumentService documents, IReadOnlyList<DocumentCommand> commands, Action<int, Exception> onFailure, CancellationToken cancellationToken)
    {
        var written = new List<CommandResult>();
        var start = 0;
        while (start < commands.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = Slice(commands, start, commands.Count - start);
            try
            {
                written.AddRange(await documents.ExecuteAsync(slice, Caller.Service, isBatch: true, cancellationToken));
                return written;
            }
            catch (BatchOperationException ex)
            {
                var failed = start + ex.OpIndex;
                onFailure(failed, ex.InnerException!);
                if (ex.OpIndex > 0)
                {
                    // The commands before the failing one were fine when planned: write them on their own.
                    var offset = start;
                    written.AddRange(await ExecuteAsync(documents, Slice(commands, start, ex.OpIndex), (i, e) => onFailure(offset + i, e), cancellationToken));
                }

                start = failed + 1;
            }
        }

        return written;
    }

    private static List<DocumentCommand> Slice(IReadOnlyList<DocumentCommand> commands, int start, int count)
    {
        var slice = new List<DocumentCommand>(count);
        for (var i = start; i < start + count; i++)
        {
            slice.Add(commands[i]);
        }

        return slice;
    }
}
