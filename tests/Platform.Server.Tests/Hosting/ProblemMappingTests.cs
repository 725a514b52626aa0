using System.Reflection;
using System.Text.RegularExpressions;
using Platform.Server.Common;
using Platform.Server.Functions;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

public sealed partial class ProblemMappingTests
{
    // The contract of docs/errors.md ("How statuses are chosen"): changing a row changes what clients see.
    public static TheoryData<ErrorKind, int> Table => new()
    {
        { ErrorKind.Invalid, 400 },
        { ErrorKind.Unauthenticated, 401 },
        { ErrorKind.Forbidden, 403 },
        { ErrorKind.NotFound, 404 },
        { ErrorKind.Conflict, 409 },
        { ErrorKind.PreconditionFailed, 412 },
        { ErrorKind.TooLarge, 413 },
        { ErrorKind.TargetTooLong, 414 },
        { ErrorKind.HeadersTooLarge, 431 },
        { ErrorKind.UnsupportedFormat, 415 },
        { ErrorKind.Unprocessable, 422 },
        { ErrorKind.RateLimited, 429 },
        { ErrorKind.Rejected, 400 },
        { ErrorKind.ClientClosed, 499 },
        { ErrorKind.Internal, 500 },
        { ErrorKind.Unavailable, 503 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void StatusOf_MapsEachKind_ToItsStatus(ErrorKind kind, int status)
    {
        Assert.Equal(status, ProblemMapping.StatusOf(kind));
        Assert.Equal(status, ProblemDetailsExceptionHandler.ToProblem(new DomainException(kind, "some_code", "detail")).Status);
    }

    [Fact]
    public void Table_CoversEveryKind()
    {
        var pinned = Table.Select(row => row.Data.Item1).ToHashSet();
        Assert.Equal(Enum.GetValues<ErrorKind>().ToHashSet(), pinned);
        Assert.Equal(pinned, ProblemMapping.Statuses.Keys.ToHashSet());
    }

    [Theory]
    [InlineData(403)]
    [InlineData(418)]
    [InlineData(451)]
    public void StatusOf_FunctionRejection_AnswersTheStatusTheFunctionChose(int chosen)
    {
        var rejected = new FunctionRejectedException(new FunctionRejection(chosen, "no"));

        Assert.Equal(ErrorKind.Rejected, rejected.Kind);
        Assert.Equal(chosen, ProblemMapping.StatusOf(rejected));
        var problem = ProblemDetailsExceptionHandler.ToProblem(rejected);
        Assert.Equal(chosen, problem.Status);
        Assert.Equal("rejected_by_function", problem.Extensions["code"]);
    }

    [Theory]
    [InlineData(400, ErrorKind.Invalid)]
    [InlineData(404, ErrorKind.NotFound)]
    [InlineData(429, ErrorKind.RateLimited)]
    [InlineData(431, ErrorKind.HeadersTooLarge)]
    [InlineData(502, ErrorKind.Internal)]
    public void KindOf_Status_IsTheReverseOfTheTable(int status, ErrorKind kind) =>
        Assert.Equal(kind, ProblemMapping.KindOf(status));

    [Fact]
    public void DomainErrors_HaveNoConstructorTakingAStatus()
    {
        var offenders = typeof(DomainException).Assembly.GetTypes()
            .Where(t => typeof(DomainException).IsAssignableFrom(t))
            .SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                .SelectMany(c => c.GetParameters())
                .Where(p => p.ParameterType == typeof(int) && p.Name!.Contains("status", StringComparison.OrdinalIgnoreCase))
                .Select(p => $"{t.Name}({p.Name})"))
            .ToList();

        Assert.Empty(offenders);
    }

    // Only Hosting/Problem*.cs (the mapping, the exception handler, the default codes) may name a 4xx/5xx status;
    // elsewhere a status appears only in OpenAPI metadata (.Produces/.ProducesProblem). Domain code raises kinds.
    [Fact]
    public void NoCodeOutsideTheMapping_ChoosesAnErrorStatus()
    {
        var root = Path.Combine(RepositoryFiles.Root(), "Platform.Server");
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || relative.StartsWith("Hosting/Problem", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.Contains(".Produces", StringComparison.Ordinal) || line.TrimStart().StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }

                if (ErrorStatusConstant().IsMatch(line) || StatusLiteralArgument().IsMatch(line) || ExceptionFromLiteral().IsMatch(line))
                {
                    offenders.Add($"{relative}:{i + 1}: {line.Trim()}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "Raise a DomainException with an ErrorKind instead of a status:\n" + string.Join('\n', offenders));
    }

    [GeneratedRegex(@"StatusCodes\.Status[45]\d\d")]
    private static partial Regex ErrorStatusConstant();

    [GeneratedRegex(@"\b(status|statusCode)\s*:\s*[45]\d\d\b", RegexOptions.IgnoreCase)]
    private static partial Regex StatusLiteralArgument();

    [GeneratedRegex(@"Exception\(\s*[45]\d\d\s*,")]
    private static partial Regex ExceptionFromLiteral();

}
