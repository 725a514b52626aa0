using System.Text.Json.Nodes;
using Platform.Server.Documents;

namespace Platform.Server.Tests.Documents;

public sealed class MergePatchTests
{
    // The examples of RFC 7386 appendix A.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    [InlineData("""{"a":"b"}""", """{"a":{"c":null,"d":1}}""", """{"a":{"d":1}}""")]
    [InlineData("""{"a":{"x":1}}""", """{}""", """{"a":{"x":1}}""")]
    public void Apply_FollowsRfc7386(string target, string patch, string expected)
    {
        var result = MergePatch.Apply(JsonNode.Parse(target)!.AsObject(), JsonNode.Parse(patch)!.AsObject());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result.ToJsonString());
    }

    [Fact]
    public void Apply_LeavesInputsUntouched()
    {
        var target = JsonNode.Parse("""{"a":{"b":1},"c":2}""")!.AsObject();
        var patch = JsonNode.Parse("""{"a":{"b":null,"d":[1]},"c":null}""")!.AsObject();
        var result = MergePatch.Apply(target, patch);
        Assert.Equal("""{"a":{"b":1},"c":2}""", target.ToJsonString());
        Assert.Equal("""{"a":{"b":null,"d":[1]},"c":null}""", patch.ToJsonString());
        result["a"]!["d"]!.AsArray().Add(2);
        Assert.Equal("""{"a":{"b":null,"d":[1]},"c":null}""", patch.ToJsonString());
    }

    [Fact]
    public void ApplyInPlace_ChangesTheTarget_AndCopiesThePatchsValues()
    {
        var target = JsonNode.Parse("""{"a":{"b":1},"c":2}""")!.AsObject();
        var patch = JsonNode.Parse("""{"a":{"b":null,"d":[1]},"c":null}""")!.AsObject();
        var result = MergePatch.ApplyInPlace(target, patch);
        Assert.Same(target, result);
        Assert.Equal("""{"a":{"d":[1]}}""", target.ToJsonString());
        result["a"]!["d"]!.AsArray().Add(2);
        Assert.Equal("""{"a":{"b":null,"d":[1]},"c":null}""", patch.ToJsonString());
    }
}
