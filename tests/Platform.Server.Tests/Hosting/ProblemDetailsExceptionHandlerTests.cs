using Platform.Server.Common;
using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Hosting;

public class ProblemDetailsExceptionHandlerTests
{
    [Fact]
    public void ToProblem_MapsStorageFailures_ToTheirStatuses()
    {
        Assert.Equal(409, ProblemDetailsExceptionHandler.ToProblem(new DuplicateIdException("c", "a", 0)).Status);
        Assert.Equal(404, ProblemDetailsExceptionHandler.ToProblem(new VersionMismatchException("c", "a", null, 0)).Status);
        var mismatch = ProblemDetailsExceptionHandler.ToProblem(new VersionMismatchException("c", "a", 4, 0));
        Assert.Equal(412, mismatch.Status);
        Assert.Equal(4L, mismatch.Extensions["currentVersion"]);
        Assert.Equal("ux_email", ProblemDetailsExceptionHandler.ToProblem(new UniqueIndexViolationException("c", "ux_email", 0)).Extensions["index"]);
        Assert.Equal(503, ProblemDetailsExceptionHandler.ToProblem(new StorageUnavailableException("down")).Status);
    }

    [Fact]
    public void ToProblem_MapsEmailDeliveryFailures_To503_WithoutTheRelaysText()
    {
        var problem = ProblemDetailsExceptionHandler.ToProblem(new Platform.Server.Email.EmailDeliveryException("The email to a@b.test could not be sent through smtp.internal:587."));
        Assert.Equal(503, problem.Status);
        Assert.Equal("email_unavailable", problem.Extensions["code"]);
        Assert.DoesNotContain("smtp.internal", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ToProblem_MapsQueryTimeouts_To422_WithTheBudget_AndRetryAfterToItsMember()
    {
        var timeout = ProblemDetailsExceptionHandler.ToProblem(new QueryTimeoutException("posts", TimeSpan.FromSeconds(5)));
        Assert.Equal(422, timeout.Status);
        Assert.Equal("query_timeout", timeout.Extensions["code"]);
        Assert.Equal(5000L, timeout.Extensions["timeoutMs"]);
        Assert.DoesNotContain("posts", timeout.Detail, StringComparison.Ordinal);

        var busy = ProblemDetailsExceptionHandler.ToProblem(new DomainException(ErrorKind.Unavailable, "server_busy", "busy") { RetryAfter = TimeSpan.FromMilliseconds(1500) });
        Assert.Equal(2L, busy.Extensions["retryAfter"]);
    }

    [Fact]
    public void ToProblem_NeverLeaksInternalExceptionText()
    {
        var problem = ProblemDetailsExceptionHandler.ToProblem(new InvalidOperationException("connection string password=hunter2"));
        Assert.Equal(500, problem.Status);
        Assert.Equal("internal_error", problem.Extensions["code"]);
        Assert.DoesNotContain("hunter2", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ToProblem_CarriesFieldPositionAndErrors()
    {
        var problem = ProblemDetailsExceptionHandler.ToProblem(new InvalidInputException("invalid_filter", "bad", "filter.a", position: 7)
        {
            Errors = [new FieldError("a", "is required")],
        });
        Assert.Equal(400, problem.Status);
        Assert.Equal("filter.a", problem.Extensions["field"]);
        Assert.Equal(7, problem.Extensions["position"]);
        Assert.NotNull(problem.Extensions["errors"]);
    }
}

public class ProblemDetailsExceptionHandlerCancellationTests
{
    private sealed class Recorder : Microsoft.AspNetCore.Http.IProblemDetailsService
    {
        public Microsoft.AspNetCore.Mvc.ProblemDetails? Written { get; private set; }

        public ValueTask WriteAsync(Microsoft.AspNetCore.Http.ProblemDetailsContext context)
        {
            Written = context.ProblemDetails;
            return ValueTask.CompletedTask;
        }
    }

    [Theory]
    [InlineData(true, 499)]
    [InlineData(false, 500)]
    public async Task Cancellation_Is499_OnlyWhenTheClientWentAway(bool clientAborted, int status)
    {
        var recorder = new Recorder();
        var handler = new ProblemDetailsExceptionHandler(recorder, Microsoft.Extensions.Logging.Abstractions.NullLogger<ProblemDetailsExceptionHandler>.Instance);
        using var aborted = new CancellationTokenSource();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestAborted = aborted.Token };
        if (clientAborted)
        {
            await aborted.CancelAsync();
        }

        await handler.TryHandleAsync(context, new TaskCanceledException("timed out"), TestContext.Current.CancellationToken);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(status, recorder.Written!.Status);
    }
}
