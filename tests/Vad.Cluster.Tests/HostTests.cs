using Vad.Testing;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Vad.Client;
using Vad.Contracts;
using Vad.Silo;
using Xunit;

namespace Vad.Cluster.Tests;

/// <summary>The silo process as ./vad silo runs it: Kestrel health and metrics endpoints, TLS between client and silo.</summary>
public sealed class HostTests
{
    private static VadConfig LocalConfig(string? cert = null, string? key = null, string? ca = null) => new()
    {
        SiloPort = TestPorts.Free(),
        GatewayPort = TestPorts.Free(),
        HttpPort = TestPorts.Free(),
        ClusterId = $"host-{Guid.NewGuid():N}",
        ModelPath = TestData.ModelPath,
        TlsCert = cert,
        TlsKey = key,
        TlsCa = ca,
    };

    [Fact]
    public async Task Health_and_metrics_over_http_and_tls_between_client_and_silo()
    {
        string dir = Directory.CreateTempSubdirectory("vad-tls-").FullName;
        try
        {
            // A self-signed certificate used as the cluster's CA and as the silo's and client's certificate,
            // and another one, from a CA the cluster does not trust.
            var (certPath, keyPath) = SelfSigned(dir, "tls", "CN=vad-test");
            var (otherCert, otherKey) = SelfSigned(dir, "other", "CN=not-the-cluster-ca");

            var cfg = LocalConfig(certPath, keyPath, certPath);
            await using var app = VadSiloHost.Build([], cfg);
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cfg.HttpPort}") };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
            HttpResponseMessage ready;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((ready = await http.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
                await Task.Delay(200);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

            // The client reaches the gateway over TLS and the cluster scores its frames.
            string servedVersion;
            await using (var conn = await ClusterConnection.ConnectAsync(cfg))
            {
                var model = await ClusterQueries.WaitForModelAsync(conn.Client, TimeSpan.FromSeconds(30));
                servedVersion = model.Version;
                var s = await TestData.StreamAsync(conn.Client, "tls-cam", TestData.Frames(TestData.Ped2.Test[2].Source, model).Take(20));
                Assert.Equal((20L, 20L), (s.Received, s.Scored));
            }
            // A client without the certificate is refused.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAsync<ClusterUnavailableException>(() =>
                ClusterConnection.ConnectAsync(cfg with { TlsCert = null, TlsKey = null, TlsCa = null }, timeout: TimeSpan.FromSeconds(10)));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"refusal took {sw.Elapsed}");
            // So is a client whose certificate and CA are not the cluster's.
            await Assert.ThrowsAsync<ClusterUnavailableException>(() =>
                ClusterConnection.ConnectAsync(cfg with { TlsCert = otherCert, TlsKey = otherKey, TlsCa = otherCert }, timeout: TimeSpan.FromSeconds(10)));

            string metrics = await http.GetStringAsync("/metrics");
            Assert.Contains("vad_frames_scored", metrics);
            Assert.Contains("vad_inference_batch_size", metrics);
            // per-camera counters, inference latency, queue depth and the serving version (issue 7's list)
            Assert.Matches("vad_frames_scored_total\\{[^}]*camera=\"tls-cam\"", metrics);
            Assert.Matches("vad_frames_received_total\\{[^}]*camera=\"tls-cam\"", metrics);
            Assert.Contains("vad_inference_batch_latency", metrics);
            Assert.Contains("vad_inference_queue_depth", metrics);
            Assert.Matches("vad_serving_model\\{[^}]*version=\"" + servedVersion + "\"", metrics);
            await app.StopAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (string Cert, string Key) SelfSigned(string dir, string name, string subject)
    {
        using var rsa = RSA.Create(2048);
        var req = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certPath = Path.Combine(dir, name + ".crt"), keyPath = Path.Combine(dir, name + ".key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
