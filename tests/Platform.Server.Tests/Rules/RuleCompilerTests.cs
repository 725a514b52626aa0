using Platform.Server.Common;
using Platform.Server.Rules;

namespace Platform.Server.Tests.Rules;

public sealed class RuleCompilerTests
{
    public static TheoryData<string, int, string> SyntaxErrors() => new()
    {
        { "user.id == \"x\"", 0, "Unknown name 'user'" },
        { "auth.id == \"abc", 11, "not closed" },
        { "auth.id == 'abc\\'", 11, "not closed" },
        { "auth.id = \"x\"", 8, "'=='" },
        { "auth.id == ", 11, "ends where a value was expected" },
        { "", 0, "ends where a value was expected" },
        { "   ", 3, "ends where a value was expected" },
        { "(auth != null", 13, "Expected ')'" },
        { "(auth != null]", 13, "Expected ')'" },
        { "auth != null true", 13, "Unexpected 'true' after a complete expression" },
        { "auth != null)", 12, "Unexpected ')'" },
        { "auth.id == 1 == 2", 13, "do not chain" },
        { "1 < doc.n < 5", 10, "do not chain" },
        { "auth.", 5, "Expected a field name" },
        { "auth.1", 5, "Expected a field name" },
        { "now.x == 1", 3, "no fields" },
        { "\"a\\q\" == auth.id", 2, "Unknown escape" },
        { "\"\\u12\" == auth.id", 1, "four hex digits" },
        { "auth & doc.x", 5, "'&&'" },
        { "auth | doc.x", 5, "'||'" },
        { "doc.x == #", 9, "Unexpected character '#'" },
        { "doc.x in [1, 2", 14, "Expected ',' or ']'" },
        { "doc.x in [1 2]", 12, "Expected ',' or ']'" },
        { "doc.x == -", 9, "not a number" },
        { "doc.x == 1.", 9, "not a number" },
        { "doc.x == 1e999", 9, "out of range" },
        { "doc.x == &&", 9, "Unexpected '&&'" },
        { "!", 1, "ends where a value was expected" },
        { "(auth).id", 6, "Unexpected '.'" },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void Compile_BadSyntax_ThrowsWithPosition(string text, int position, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile(RuleOperation.Get, text));
        Assert.Equal("invalid_rule", error.Code);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
        Assert.Equal("rules.get", error.Field);
        Assert.Equal(position, error.Position);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<RuleOperation, string, int, string> OperationErrors() => new()
    {
        { RuleOperation.List, "data.ownerId == auth.id", 0, "'data' is not available in a list rule" },
        { RuleOperation.Get, "auth != null && data.x == 1", 16, "'data' is not available in a get rule" },
        { RuleOperation.Delete, "data == null", 0, "'data' is not available in a delete rule" },
        { RuleOperation.Create, "doc.ownerId == auth.id", 0, "'doc' is not available in a create rule" },
        { RuleOperation.List, "doc.a == doc.b", 6, "doc field on one side" },
        { RuleOperation.List, "auth.id == \"x\" && doc.a == doc.b", 24, "doc field on one side" },
        { RuleOperation.List, "doc == null", 0, "not doc as a whole" },
        { RuleOperation.List, "doc.a in [doc.b, 1]", 9, "an array in it cannot hold doc fields" },
        { RuleOperation.List, "(doc.a == 1) == doc.b", 13, "doc field on one side" },
        { RuleOperation.List, "!(doc.a != doc.b)", 8, "doc field on one side" },
        { RuleOperation.List, "doc.tags in doc.other", 9, "doc field on one side" },
    };

    [Theory]
    [MemberData(nameof(OperationErrors))]
    public void Compile_NameOrShapeNotAllowedForTheOperation_ThrowsWithPosition(RuleOperation operation, string text, int position, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile(operation, text));
        Assert.Equal("invalid_rule", error.Code);
        Assert.Equal($"rules.{operation.Name()}", error.Field);
        Assert.Equal(position, error.Position);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RuleOperation.List, "auth != null && doc.ownerId == auth.id")]
    [InlineData(RuleOperation.List, "doc._createdAt <= now || \"admin\" in auth.roles")]
    [InlineData(RuleOperation.Get, "doc.a == doc.b")]
    [InlineData(RuleOperation.Get, "doc != null")]
    [InlineData(RuleOperation.Create, "auth != null && data.ownerId == auth.id")]
    [InlineData(RuleOperation.Update, "data.ownerId == doc.ownerId && doc.ownerId == auth.id")]
    [InlineData(RuleOperation.Delete, "doc.ownerId == auth.id && now < \"2030\"")]
    [InlineData(RuleOperation.Get, "doc.in == doc.true && doc.null")]
    public void Compile_ValidRule_Succeeds(RuleOperation operation, string text)
    {
        var rule = RuleCompiler.Compile(operation, text);
        Assert.Equal(operation, rule.Operation);
        Assert.Equal(text, rule.Text);
    }

    [Fact]
    public void IsFilterable_FalseOnlyWhenDocValuesMeet()
    {
        Assert.True(RuleCompiler.Compile(RuleOperation.Get, "doc.ownerId == auth.id").IsFilterable);
        var rule = RuleCompiler.Compile(RuleOperation.Get, "doc.a == doc.b");
        Assert.False(rule.IsFilterable);
        Assert.Throws<InvalidOperationException>(() => rule.ToFilter(new RuleContext()));
    }

    [Theory]
    [InlineData("auth != null && doc.owner == auth.uid", 29, "'auth.uid' is not a field of auth")]
    [InlineData("auth.token.admin == true", 0, "'auth.token' is not a field of auth")]
    [InlineData("'admin' in auth.roles || auth.roles.admin == true", 25, "'auth.roles' has no fields")]
    public void CheckAuthMembers_RefusesMembersAuthDoesNotHave_AtTheName(string text, int position, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.CheckAuthMembers(text, "rules.list"));
        Assert.Equal(("invalid_rule", "rules.list", position), (error.Code, error.Field, error.Position));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidInputException>(() => RuleCompiler.CheckAuthMembers(text, "callable.invokeRule", invoke: true));
    }

    [Fact]
    public void CheckAuthMembers_AcceptsEveryMemberOfAuth_AndAuthItself() =>
        RuleCompiler.CheckAuthMembers(
            "auth != null && auth.id != null && auth.email != null && 'a' in auth.roles && auth.anonymous == false && auth.verified == true",
            "rules.get");

    [Fact]
    public void Compile_ByOperationName_ChecksTheName()
    {
        Assert.Equal(RuleOperation.Update, RuleCompiler.Compile("update", "data.x == doc.x").Operation);
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile("read", "true"));
        Assert.Equal("rules.read", error.Field);
    }

    [Fact]
    public void Compile_TooLong_ThrowsAtTheLimit()
    {
        var text = "true" + new string(' ', 1996);
        Assert.True(RuleCompiler.Compile(RuleOperation.Get, text).Evaluate(new RuleContext()));
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile(RuleOperation.Get, text + " "));
        Assert.Equal(2000, error.Position);
        Assert.Contains("2000 characters", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("!", "")]
    [InlineData("[", "]")]
    public void Compile_TooDeep_ThrowsAtTheFirstLevelTooMany(string open, string close)
    {
        string Nest(int depth) => string.Concat(Enumerable.Repeat(open, depth)) + "true" + string.Concat(Enumerable.Repeat(close, depth));
        RuleCompiler.Compile(RuleOperation.Get, Nest(32));
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile(RuleOperation.Get, Nest(33)));
        Assert.Equal(32 * open.Length, error.Position);
        Assert.Contains("32 levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_LongFlatChains_AreNotDepth()
    {
        var text = string.Join(" || ", Enumerable.Range(0, 120).Select(i => $"doc.n == {i}"));
        var rule = RuleCompiler.Compile(RuleOperation.List, text);
        Assert.True(rule.Evaluate(new RuleContext { Doc = new() { ["n"] = 119 } }));
    }
}
