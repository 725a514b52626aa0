using Platform.Server.Common;

namespace Platform.Server.Functions;

/// <summary>
/// A function ended its run with <c>ctx.reject(status, message)</c>: <see cref="ErrorKind.Rejected"/>, answered with
/// the 4xx status the function's author chose (<see cref="FunctionRejection.Status"/>, checked to be 400-499 by the
/// runtime), code <c>rejected_by_function</c>.
/// </summary>
public sealed class FunctionRejectedException : DomainException
{
    public FunctionRejectedException(FunctionRejection rejection)
        : base(ErrorKind.Rejected, "rejected_by_function", (rejection ?? throw new ArgumentNullException(nameof(rejection))).Message)
    {
        Rejection = rejection;
    }

    public FunctionRejectedException()
        : this(new FunctionRejection(400, "Rejected by the function."))
    {
    }

    public FunctionRejectedException(string message)
        : this(new FunctionRejection(400, message))
    {
    }

    public FunctionRejectedException(string message, Exception innerException)
        : base(ErrorKind.Rejected, "rejected_by_function", message, innerException)
    {
        Rejection = new FunctionRejection(400, message);
    }

    /// <summary>The status and message the function gave.</summary>
    public FunctionRejection Rejection { get; }
}
