using System.Text.Json.Serialization;

namespace Platform.Sdk.Tests.Queries;

public enum Status
{
    Open,
    Closed,
}

public sealed class Address
{
    public string? City { get; set; }

    public int Zip { get; set; }
}

public sealed class Line
{
    public string Sku { get; set; } = "";

    public int Qty { get; set; }
}

public sealed class Item
{
    public string? Id { get; set; }

    public string Title { get; set; } = "";

    public bool Done { get; set; }

    public int Priority { get; set; }

    public int? Rank { get; set; }

    public double Score { get; set; }

    public string? Note { get; set; }

    [JsonPropertyName("due_at")]
    public string? DueAt { get; set; }

    public List<string> Tags { get; set; } = [];

    public string[] Labels { get; set; } = [];

    public Address? Address { get; set; }

    public List<Line> Lines { get; set; } = [];

    public Status Status { get; set; }

    public Dictionary<string, int> Counts { get; set; } = [];

    [JsonIgnore]
    public string? Secret { get; set; }
}

public sealed class KeyedItem
{
    [BaasId]
    public string? Key { get; set; }

    public string? Id { get; set; }

    public string Name { get; set; } = "";
}
