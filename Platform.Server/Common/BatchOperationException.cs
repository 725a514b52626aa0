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
}
