using Vad.Client;
using Vad.Contracts;
using Vad.Grains;
using Xunit;

namespace Vad.Failover.Tests;

/// <summary>The camera side of at-least-once ingest: a re-sent frame it already took is a duplicate, not a loss or an error.</summary>
[Trait("Category", "Failover")]
public sealed class DuplicateTests
{
    /// <summary>A one-silo cluster in this process and a client connected to it; disposing the connection stops both.</summary>
    private sealed class Connection(InProcessSilo silo, ClusterConnection client) : IAsyncDisposable
    {
        public IClusterClient Client => client.Client;

        public async ValueTask DisposeAsync()
        {
            await client.DisposeAsync();
            await silo.DisposeAsync();
        }
    }

    private static async Task<Connection> ConnectAsync()
    {
        var silo = await InProcessSilo.StartAsync(Shared.ModelPath);
        try
        {
            var client = await ClusterConnection.ConnectAsync(new Vad.Silo.VadConfig
            {
                GatewayPort = silo.Config.GatewayPort,
                ClusterId = silo.Config.ClusterId,
                ServiceId = silo.Config.ServiceId,
            });
            return new Connection(silo, client);
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task An_exact_resend_is_acked_as_a_duplicate_and_counted_once_a_different_frame_is_refused()
    {
        await using var conn = await ConnectAsync();
        var cam = conn.Client.GetGrain<ICameraGrain>("dup");
        var frames = Shared.Clip(0).Take(20).ToList();
        for (int i = 0; i < 10; i++) await cam.PushFrame(frames[i], IngestMode.Lossless);

        // The client lost the answers of frames 6..9 and sends them again: acked, not counted twice.
        for (int i = 6; i < 10; i++)
        {
            var ack = await cam.PushFrame(frames[i], IngestMode.Lossless);
            Assert.Equal((FrameStatus.Accepted, CameraGrain.DuplicateReason, 10L), (ack.Status, ack.Reason, ack.Received));
        }
        // The same sequence number with other pixels is not a re-send: refused as before.
        var other = frames[12] with { Sequence = 7 };
        Assert.Contains("does not follow", (await Assert.ThrowsAsync<InvalidFrameException>(() => cam.PushFrame(other, IngestMode.Lossless))).Message);

        for (int i = 10; i < frames.Count; i++) await cam.PushFrame(frames[i], IngestMode.Lossless);
        await cam.EndStream();
        var s = await Ingest.WaitSettledAsync(cam, TimeSpan.FromSeconds(30));
        Assert.Equal((20L, 20L, 0L, 1L), (s.Received, s.Scored, s.Dropped, s.Rejected));
    }

    [Fact]
    public async Task A_new_activation_asks_to_rewind_to_the_senders_oldest_unsettled_frame_instead_of_starting_after_it()
    {
        await using var conn = await ConnectAsync();
        // As after a silo died holding frames 30..33 unsettled: the sender's next frame 34 reaches a fresh activation.
        var cam = conn.Client.GetGrain<ICameraGrain>("rewind");
        var frames = Shared.Clip(0).Take(40).Select((f, i) => f with { Sequence = i }).ToList();
        var ack = await cam.PushFrame(frames[34] with { OldestUnsettled = 30 }, IngestMode.Lossless);
        Assert.Equal((FrameStatus.Rewind, 0L), (ack.Status, ack.Received));
        Assert.Contains("send again from frame 30", ack.Reason);

        // From the oldest unsettled frame on it is taken; later frames naming it as still unsettled are taken too.
        for (int i = 30; i < 40; i++)
        {
            ack = await cam.PushFrame(frames[i] with { OldestUnsettled = 30 }, IngestMode.Lossless);
            Assert.Equal(FrameStatus.Accepted, ack.Status);
        }
        await cam.EndStream();
        var s = await Ingest.WaitSettledAsync(cam, TimeSpan.FromSeconds(30));
        Assert.Equal((10L, 10L, 0L, 0L), (s.Received, s.Scored, s.Dropped, s.Rejected));
    }
}
