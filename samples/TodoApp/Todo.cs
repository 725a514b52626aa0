namespace TodoApp;

/// <summary>A todo as the app sees it; the SDK maps <see cref="Id"/> to the document's <c>_id</c>.</summary>
public sealed class Todo
{
    public string? Id { get; set; }

    public required string Title { get; set; }

    public bool Done { get; set; }

    public int Priority { get; set; }
}
