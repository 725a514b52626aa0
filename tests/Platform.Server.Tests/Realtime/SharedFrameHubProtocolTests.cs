using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Issue 13 item 1: a change's events are encoded once per protocol and shared by every recipient, and a batch is
/// written as one invocation per event; the bytes are exactly those the protocol writes for each event alone, with
/// the document as plain values (how every event was sent before).
/// </summary>
public sealed class SharedFrameHubProtocolTests
{
    private const string Tricky = """
        {"_id":"a","title":"Ünïcødé <b>&amp;</b> \"quoted\" 'single' \\ /slash\n\ttab","emoji":"😀","n":42,"pi":3.5,"big":1e300,
         "neg":-0.25,"max":9223372036854775807,"ok":true,"no":false,"none":null,"tags":["x",1,{"k":[]},[2.5,null]],"deep":{"z":1,"a":{"b":"c"}},
         "_version":3,"_createdAt":"2026-12-06T07:00:00.123Z"}
        """;

    public static TheoryData<string, string> Cases => new()
    {
        { "json", Tricky },
        { "messagepack", Tricky },
        { "json", """{"_id":"b"}""" },
        { "messagepack", """{"_id":"b","s":""}""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void WriteMessage_BatchOfEvents_IsByteForByteEachEventAsTheProtocolWritesItAlone(string protocolName, string json)
    {
        var inner = Protocol(protocolName);
        var shared = new SharedFrameHubProtocol(inner);
        var document = JsonNode.Parse(json)!.AsObject();
        var dispatched = new DispatchedChange(new StoredChange("17-abc", "c", "a", ChangeKind.Replace, document, document, DateTimeOffset.UnixEpoch), 1);
        string[] ids = [NewId(), NewId(), NewId()];
        string[] types = [RealtimeEvents.Added, RealtimeEvents.Modified, RealtimeEvents.Removed];

        var expected = new ArrayBufferWriter<byte>();
        var messages = new List<OutgoingMessage>();
        for (var i = 0; i < ids.Length; i++)
        {
            // Before: each recipient's event serialized by the protocol, with the document as plain values.
            var alone = new ChangeEvent { SubscriptionId = ids[i], Type = types[i], Id = "a", Document = PayloadValues.FromDocument(document), Sequence = "17-abc" };
            expected.Write(inner.GetMessageBytes(new InvocationMessage(RealtimeEvents.Change, [alone])).Span);
            var change = new ChangeEvent { SubscriptionId = ids[i], Type = types[i], Id = "a", Document = dispatched.AfterPayload, Sequence = "17-abc" };
            messages.Add(new OutgoingMessage(RealtimeEvents.Change, change, null, dispatched));
        }

        var actual = shared.GetMessageBytes(new InvocationMessage(RealtimeEvents.Change, [new ChangeBatch(messages)]));

        Assert.Equal(expected.WrittenSpan.ToArray(), actual.ToArray());
        Assert.Equal(3, dispatched.Frames.Count);
    }

    [Fact]
    public void WriteMessage_ManyRecipientsOfOneChange_EncodeTheDocumentOncePerProtocolAndType()
    {
        var document = JsonNode.Parse(Tricky)!.AsObject();
        var dispatched = new DispatchedChange(new StoredChange("1", "c", "a", ChangeKind.Insert, null, document, DateTimeOffset.UnixEpoch), 1);
        foreach (var name in new[] { "json", "messagepack" })
        {
            var inner = Protocol(name);
            var shared = new SharedFrameHubProtocol(inner);
            for (var i = 0; i < 100; i++)
            {
                var change = new ChangeEvent { SubscriptionId = NewId(), Type = RealtimeEvents.Added, Id = "a", Document = dispatched.AfterPayload, Sequence = "1" };
                var bytes = shared.GetMessageBytes(new InvocationMessage(RealtimeEvents.Change, [new ChangeBatch([new OutgoingMessage(RealtimeEvents.Change, change, null, dispatched)])]));
                Assert.Equal(inner.GetMessageBytes(new InvocationMessage(RealtimeEvents.Change, [change])).ToArray(), bytes.ToArray());
            }
        }

        // One frame per protocol, whatever the number of recipients.
        Assert.Equal(2, dispatched.Frames.Count);
    }

    [Fact]
    public void WriteMessage_OtherMessages_AreTheInnerProtocolsBytes()
    {
        var inner = Protocol("json");
        var shared = new SharedFrameHubProtocol(inner);
        HubMessage[] messages = [new InvocationMessage(RealtimeEvents.Resync, [new ResyncEvent { Reason = "overflow" }]), PingMessage.Instance, CompletionMessage.WithResult("1", 42)];
        foreach (var message in messages)
        {
            Assert.Equal(inner.GetMessageBytes(message).ToArray(), shared.GetMessageBytes(message).ToArray());
        }
    }

    internal static IHubProtocol Protocol(string name) => name == "json"
        ? new JsonHubProtocol(Options.Create(new JsonHubProtocolOptions { PayloadSerializerOptions = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase } }))
        : new MessagePackHubProtocol();

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(RealtimeDispatcher.SubscriptionIdLength / 2));
}
