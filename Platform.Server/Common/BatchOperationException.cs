namespace Platform.Server.Common;

/// <summary>Wraps the failure of one operation of a batch so its error carries <c>opIndex</c>.</summary>
public sealed class BatchOperationException : Exception
{
    public BatchOperationException(int opIndex, Exception inner)
        : base($"Batch operation {opIndex} failed: {inner.Message}", inner)
    {
        OpIndex = opIndex;
    }

    public BatchOperationException()
    {
    }

    public BatchOperationException(string message)
        : base(message)
    {
    }

    public BatchOperationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int OpIndex { get; }

    /// <summary>
    /// Where the operation sits in the request body (<c>ops[3]</c>) when the inner error names fields of the operation's
    /// command or document rather than paths of the body; the answer then names them under it. Null when the inner
    /// error already names a path of the body (a malformed operation).
    /// </summary>
    public string? OperationPath { get; init; }
}
