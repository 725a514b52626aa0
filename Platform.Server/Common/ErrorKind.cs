namespace Platform.Server.Common;

/// <summary>
/// What kind of failure a <see cref="DomainException"/> is, in the domain's terms. Domain code picks a kind and a
/// stable code; the HTTP status is chosen in one place, <c>Hosting/ProblemMapping</c> (see docs/errors.md).
/// </summary>
public enum ErrorKind
{
    /// <summary>The input is malformed or breaks a rule of its shape (400).</summary>
    Invalid,

    /// <summary>The caller is not signed in, or its credentials are not (or no longer) good (401).</summary>
    Unauthenticated,

    /// <summary>The caller is known but may not do this (403).</summary>
    Forbidden,

    /// <summary>The thing named does not exist, or the caller may not know that it does (404).</summary>
    NotFound,

    /// <summary>The request clashes with the current state: a duplicate, a lost race (409).</summary>
    Conflict,

    /// <summary>A precondition the caller stated (a version) did not hold (412).</summary>
    PreconditionFailed,

    /// <summary>The input is larger than a configured limit (413).</summary>
    TooLarge,

    /// <summary>The request target (path and query) is longer than its limit (414).</summary>
    TargetTooLong,

    /// <summary>The request's header section is larger than its limit (431).</summary>
    HeadersTooLarge,

    /// <summary>The input is in a format the endpoint does not read (415).</summary>
    UnsupportedFormat,

    /// <summary>Well-formed, but not processable as sent: a schema mismatch, a query over its budget (422).</summary>
    Unprocessable,

    /// <summary>The caller sent too much too fast; <see cref="DomainException.RetryAfter"/> says when to retry (429).</summary>
    RateLimited,

    /// <summary>The node or a dependency cannot serve this right now; retrying later is right (503).</summary>
    Unavailable,

    /// <summary>
    /// A function refused the request with <c>ctx.reject(status, message)</c>: the 4xx its author chose
    /// (<c>Functions.FunctionRejectedException</c>).
    /// </summary>
    Rejected,

    /// <summary>The client went away before the answer (499, never seen by that client).</summary>
    ClientClosed,

    /// <summary>A fault of the server; its text stays in the log (500).</summary>
    Internal,
}
