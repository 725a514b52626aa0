namespace Platform.Sdk.Tests.Documents;

public sealed class Todo
{
    public string? Id { get; set; }

    public string Title { get; set; } = "";

    public bool Done { get; set; }

    public int Priority { get; set; }

    public List<string> Tags { get; set; } = [];

    public string? Note { get; set; }
}
