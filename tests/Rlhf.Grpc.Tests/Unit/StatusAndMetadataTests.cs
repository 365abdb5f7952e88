using System.Net;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.Tests.Unit;

public sealed class StatusAndMetadataTests
{
    [Fact]
    public void StatusCode_AllSeventeenCodes_HaveSpecNumbers()
    {
        var values = Enum.GetValues<StatusCode>().Select(c => (int)c).ToArray();

        Assert.Equal(Enumerable.Range(0, 17), values);
        Assert.Equal(4, (int)StatusCode.DeadlineExceeded);
        Assert.Equal(16, (int)StatusCode.Unauthenticated);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, StatusCode.Internal)]
    [InlineData(HttpStatusCode.Unauthorized, StatusCode.Unauthenticated)]
    [InlineData(HttpStatusCode.Forbidden, StatusCode.PermissionDenied)]
    [InlineData(HttpStatusCode.NotFound, StatusCode.Unimplemented)]
    [InlineData(HttpStatusCode.TooManyRequests, StatusCode.Unavailable)]
    [InlineData(HttpStatusCode.BadGateway, StatusCode.Unavailable)]
    [InlineData(HttpStatusCode.ServiceUnavailable, StatusCode.Unavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout, StatusCode.Unavailable)]
    [InlineData(HttpStatusCode.UnsupportedMediaType, StatusCode.Unknown)]
    public void FromHttpStatus_SpecTable_Maps(HttpStatusCode http, StatusCode expected)
    {
        Assert.Equal(expected, GrpcStatusMapping.FromHttpStatus(http));
    }

    [Theory]
    [InlineData(0x7L, StatusCode.Unavailable)]
    [InlineData(0x8L, StatusCode.Cancelled)]
    [InlineData(0xBL, StatusCode.ResourceExhausted)]
    [InlineData(0xCL, StatusCode.PermissionDenied)]
    [InlineData(0x1L, StatusCode.Internal)]
    public void FromHttp2ErrorCode_SpecTable_Maps(long code, StatusCode expected)
    {
        Assert.Equal(expected, GrpcStatusMapping.FromHttp2ErrorCode(code));
    }

    [Fact]
    public void RpcException_Status_CarriesCodeDetailAndTrailers()
    {
        var trailers = new Metadata().Add("k", "v");

        var ex = new RpcException(new Status(StatusCode.NotFound, "missing"), trailers);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("missing", ex.Status.Detail);
        Assert.Same(trailers, ex.Trailers);
        Assert.Contains("NotFound", ex.Message);
    }

    [Fact]
    public void Metadata_Add_LowerCasesKeysAndKeepsOrder()
    {
        var metadata = new Metadata().Add("X-Key", "a").Add("x-key", "b").Add("data-bin", new byte[] { 1, 2 });

        Assert.Equal(new[] { "x-key", "x-key", "data-bin" }, metadata.Select(e => e.Key));
        Assert.Equal("b", metadata.GetValue("X-KEY"));
        Assert.Equal(new byte[] { 1, 2 }, metadata.GetValueBytes("data-bin"));
        Assert.Equal(new[] { "a", "b" }, metadata.GetAll("x-key").Select(e => e.Value));
    }

    [Theory]
    [InlineData("bad key", "v")]
    [InlineData("ключ", "v")]
    [InlineData("ok", "non-ascii é")]
    [InlineData("ok", "line\nbreak")]
    [InlineData("ok-bin", "text for a binary key")]
    public void Metadata_InvalidAsciiEntry_Throws(string key, string value)
    {
        Assert.Throws<ArgumentException>(() => new Metadata().Add(key, value));
    }

    [Fact]
    public void Metadata_BytesForAsciiKey_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Metadata().Add("not-binary", new byte[] { 1 }));
    }

    [Theory]
    [InlineData("AQID", new byte[] { 1, 2, 3 })]
    [InlineData("AQI", new byte[] { 1, 2 })]
    [InlineData("AQI=", new byte[] { 1, 2 })]
    [InlineData("AQ", new byte[] { 1 })]
    public void DecodeBase64_PaddedAndUnpadded_Decodes(string value, byte[] expected)
    {
        Assert.Equal(expected, MetadataCodec.DecodeBase64(value));
    }

    [Fact]
    public void AddHeader_ReservedAndBinaryHeaders_FiltersAndDecodes()
    {
        var metadata = new Metadata();

        MetadataCodec.AddHeader(metadata, "grpc-status", "0");
        MetadataCodec.AddHeader(metadata, "content-type", "application/grpc");
        MetadataCodec.AddHeader(metadata, "trace-bin", "AQI,AwQ=");
        MetadataCodec.AddHeader(metadata, "user", "alice");

        Assert.Equal(new[] { "trace-bin", "trace-bin", "user" }, metadata.Select(e => e.Key));
        Assert.Equal(new byte[] { 3, 4 }, metadata[1].ValueBytes);
    }

    [Theory]
    [InlineData("trace-bin", "not base64!")]
    [InlineData("user", "caf\u00e9")]
    public void TryAddHeader_NotValidMetadata_DroppedAndFalse(string name, string value)
    {
        var metadata = new Metadata();

        Assert.False(MetadataCodec.TryAddHeader(metadata, name, value));
        Assert.True(MetadataCodec.TryAddHeader(metadata, "user", "alice"));

        Assert.Equal(new[] { "user" }, metadata.Select(e => e.Key));
    }

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("application/grpc+json", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsSupportedContentType_Variants_AcceptsGrpcAndGrpcProtoOnly(string? contentType, bool expected)
    {
        Assert.Equal(expected, GrpcProtocolConstants.IsSupportedContentType(contentType));
    }

    [Fact]
    public void FromDescriptor_IdempotentOption_SetsTypeNamesAndIdempotency()
    {
        var echo = Infrastructure.TestMethods.Echo;
        var stream = Infrastructure.TestMethods.Duplex;

        Assert.Equal("/rlhf.test.v1.TestService/Echo", echo.FullName);
        Assert.Equal(MethodType.Unary, echo.Type);
        Assert.True(echo.IsIdempotent);
        Assert.Equal(MethodType.DuplexStreaming, stream.Type);
        Assert.False(stream.IsIdempotent);
    }

    [Theory]
    [InlineData("Echo", MethodType.Unary)]
    [InlineData("ServerStream", MethodType.ServerStreaming)]
    [InlineData("ClientStream", MethodType.ClientStreaming)]
    [InlineData("Duplex", MethodType.DuplexStreaming)]
    public void GetMethodType_EachStreamingShape_ItsCallType(string name, MethodType expected)
    {
        Assert.Equal(expected, Infrastructure.TestMethods.Service.FindMethodByName(name).GetMethodType());
    }

    [Fact]
    public void FromDescriptor_WrongMessageTypes_Throws()
    {
        var descriptor = Infrastructure.TestMethods.Service.FindMethodByName("Echo");

        Assert.Throws<ArgumentException>(() => Method<global::Grpc.Health.V1.HealthCheckRequest, global::Grpc.Health.V1.HealthCheckResponse>.FromDescriptor(descriptor));
    }
}
