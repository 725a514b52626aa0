using Platform.Server.Storage;

namespace Platform.Server.Tests.Storage;

public class IndexDefinitionTests
{
    [Theory]
    [InlineData("a,b", false, "ix_a_b")]
    [InlineData("a_b", false, "ix_a%5Fb")]
    [InlineData("email", true, "ux_email")]
    [InlineData("ownerId,-_createdAt", false, "ix_ownerId_-_createdAt")]
    [InlineData("status,-priority", false, "ix_status_-priority")]
    [InlineData("profile.handle", true, "ux_profile.handle")]
    [InlineData("a%5Fb", false, "ix_a%255Fb")]
    [InlineData("__x", false, "ix_%5F%5Fx")]
    [InlineData("a._b", false, "ix_a.%5Fb")]
    public void Name_IsReadable_AndKeepsEarlierNamesOfPathsWithoutUnderscores(string keys, bool unique, string expected) =>
        Assert.Equal(expected, Parse(keys, unique).Name);

    [Theory]
    [InlineData("a,b", "a_b")]
    [InlineData("a_,b", "a,_b")]
    [InlineData("a,_b", "a__b")]
    [InlineData("a%5Fb", "a_b")]
    [InlineData("-a", "--a")]
    [InlineData("a,-b", "a_-b")]
    [InlineData("x,_y_z", "x__y,z")]
    public void Name_NeverCollides_ForDifferentKeys(string left, string right) =>
        Assert.NotEqual(Parse(left, false).Name, Parse(right, false).Name);

    [Fact]
    public void Name_DiffersByUniqueness() =>
        Assert.NotEqual(Parse("a", false).Name, Parse("a", true).Name);

    [Fact]
    public void Name_IsInjective_OverManyAwkwardPaths()
    {
        string[] parts = ["a", "b", "_", "a_b", "_a", "__a", "a_", "%", "%5F", "a.b", "a._b", "_id", "-"];
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var first in parts)
        {
            foreach (var second in parts.Append(string.Empty))
            {
                foreach (var descending in new[] { false, true })
                {
                    var fields = new List<SortField> { new(first, descending) };
                    if (second.Length > 0)
                    {
                        fields.Add(new SortField(second));
                    }

                    var key = string.Join("|", fields.Select(f => (f.Descending ? "desc " : "asc ") + f.Path));
                    var name = new IndexDefinition(fields).Name;
                    Assert.False(names.TryGetValue(name, out var other) && other != key, $"{key} and {other} share the name {name}");
                    names[name] = key;
                }
            }
        }
    }

    [Fact]
    public void FieldsOf_ReadsBackTheKeysOfEveryName()
    {
        string[] parts = ["a", "b", "_", "a_b", "_a", "__a", "a_", "%", "%5F", "a.b", "a._b", "_id", "-", "a-b", "profile.handle"];
        foreach (var first in parts)
        {
            foreach (var second in parts.Append(string.Empty))
            {
                foreach (var descending in new[] { false, true })
                {
                    var fields = new List<SortField> { new(first, descending) };
                    if (second.Length > 0)
                    {
                        fields.Add(new SortField(second, !descending));
                    }

                    foreach (var unique in new[] { false, true })
                    {
                        var name = new IndexDefinition(fields, unique).Name;
                        Assert.Equal(fields, IndexDefinition.FieldsOf(name));
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("ux_")]
    [InlineData("_id_")]
    [InlineData("ux_a__")]
    [InlineData("ux_a%zz")]
    [InlineData("ux_a%5")]
    public void FieldsOf_IsNull_ForNamesItDidNotMake(string name) =>
        Assert.Null(IndexDefinition.FieldsOf(name));

    // "-x" is descending x; "--x" is descending "-x" (as the collections API reads an index's fields).
    private static IndexDefinition Parse(string keys, bool unique) =>
        new(keys.Split(',').Select(k => k.StartsWith('-') ? new SortField(k[1..], true) : new SortField(k)).ToList(), unique);
}
