// The process pool's byte layer, on its own: frames (wire.hpp), the bounded
// archives behind concur::from_bytes (byte_archive.hpp), and code addresses
// (code_address.hpp). Everything a worker sends is untrusted: these check
// that bad bytes are refused with ValueError, never read past their end.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "concur/detail/code_address.hpp"
#include "concur/errors.hpp"
#include "concur/serialize.hpp"
#include "process_pool/wire.hpp"

namespace concur {
namespace {

namespace wire = detail::wire;

std::string frame(wire::Kind kind, std::uint64_t id, const std::string& payload) {
  std::string out;
  wire::append_frame(out, kind, id, payload);
  return out;
}

std::string header_bytes(std::uint32_t magic, std::uint32_t kind, std::uint64_t id,
                         std::uint64_t size) {
  wire::Header header;
  header.magic = magic;
  header.kind = static_cast<wire::Kind>(kind);
  header.id = id;
  header.size = size;
  return std::string(reinterpret_cast<const char*>(&header), sizeof header);
}

TEST(WireTest, FramesSplitAtEveryByteComeOutWhole) {
  const std::string bytes = frame(wire::Kind::ready, 0, "") +
                            frame(wire::Kind::outcome, 7, "seven") +
                            frame(wire::Kind::outcome, 8, std::string(1000, 'x'));
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    wire::FrameParser parser;
    std::vector<wire::FrameParser::Frame> frames;
    parser.feed(bytes.data(), cut);
    while (auto f = parser.next())
      frames.push_back(*f);
    parser.feed(bytes.data() + cut, bytes.size() - cut);
    while (auto f = parser.next())
      frames.push_back(*f);
    ASSERT_EQ(frames.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(frames[0].kind, wire::Kind::ready);
    EXPECT_EQ(frames[1].id, 7u);
    EXPECT_EQ(frames[1].payload, "seven");
    EXPECT_EQ(frames[2].payload, std::string(1000, 'x'));
    EXPECT_FALSE(parser.incomplete_header().has_value());
  }
}

TEST(WireTest, AnIncompleteFrameShowsItsCheckedHeader) {
  const std::string bytes = frame(wire::Kind::outcome, 42, "payload");
  wire::FrameParser parser;
  parser.feed(bytes.data(), sizeof(wire::Header) + 2);
  EXPECT_FALSE(parser.next().has_value());
  const auto header = parser.incomplete_header();
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->id, 42u);
  EXPECT_EQ(header->size, 7u);
}

TEST(WireTest, BadHeadersAreRefusedBeforeTheirPayload) {
  const auto refused = [](const std::string& bytes, const char* why) {
    wire::FrameParser parser;
    parser.feed(bytes.data(), bytes.size());
    try {
      parser.next();
      ADD_FAILURE() << "accepted: " << why;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused(header_bytes(0x12345678, 12, 1, 0), "bad magic");
  refused(header_bytes(wire::kMagic, 2, 1, 0), "unknown kind 2");  // parent-only kind
  refused(header_bytes(wire::kMagic, 99, 1, 0), "unknown kind 99");
  refused(header_bytes(wire::kMagic, 12, 1, wire::kMaxWorkerPayload + 1), "announcing");
  refused(header_bytes(wire::kMagic, 12, 1, ~std::uint64_t{0}), "announcing");
}

// The worker reads the parent's frames through the same check, with the
// parent's kinds and limit.
TEST(WireTest, EachSideAcceptsOnlyTheOtherSidesKindsAndLimits) {
  auto decode = [](const std::string& bytes, wire::Sender from) {
    detail::ByteReader in(bytes);
    return wire::decode_header(in, from);
  };
  const auto task = header_bytes(wire::kMagic, 2, 7, 100);
  EXPECT_EQ(decode(task, wire::Sender::parent).id, 7u);
  EXPECT_THROW(decode(task, wire::Sender::worker), ValueError);
  const auto outcome = header_bytes(wire::kMagic, 12, 7, 100);
  EXPECT_EQ(decode(outcome, wire::Sender::worker).size, 100u);
  EXPECT_THROW(decode(outcome, wire::Sender::parent), ValueError);
  // A task may be far larger than an outcome the parent would buffer.
  const auto big_task = header_bytes(wire::kMagic, 2, 1, wire::kMaxWorkerPayload + 1);
  EXPECT_NO_THROW(decode(big_task, wire::Sender::parent));
  EXPECT_THROW(
      decode(header_bytes(wire::kMagic, 12, 1, wire::kMaxWorkerPayload + 1), wire::Sender::worker),
      ValueError);
  EXPECT_THROW(
      decode(header_bytes(wire::kMagic, 2, 1, wire::kMaxPayload + 1), wire::Sender::parent),
      ValueError);
  EXPECT_THROW(decode(task.substr(0, 23), wire::Sender::parent), ValueError);
}

TEST(WireTest, TooManyDescriptorsAndBadRegionReferencesAreRefused) {
  wire::Header header;
  header.kind = wire::Kind::outcome_in_region;
  header.descriptors = wire::kMaxDescriptors + 1;
  header.size = sizeof(wire::RegionRef);
  const std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  detail::ByteReader in(bytes);
  EXPECT_THROW(wire::decode_header(in, wire::Sender::worker), ValueError);

  auto ref = [](std::uint32_t slot, std::uint32_t flags, std::uint64_t size) {
    const wire::RegionRef r{slot, flags, size};
    return std::string(reinterpret_cast<const char*>(&r), sizeof r);
  };
  EXPECT_EQ(wire::decode_region_ref(ref(1, wire::kOneShot, 99), 0).size, 99u);
  EXPECT_THROW(wire::decode_region_ref(ref(wire::kRegionSlots, 0, 99), 0), ValueError);
  EXPECT_THROW(wire::decode_region_ref(ref(0, 4, 99), 0), ValueError);
  EXPECT_THROW(wire::decode_region_ref(ref(0, wire::kNewRegion, 99), 0), ValueError);
  EXPECT_THROW(wire::decode_region_ref(ref(0, 0, 0), 0), ValueError);
  EXPECT_THROW(wire::decode_region_ref(ref(0, 0, wire::kMaxPayload + 1), 0), ValueError);
  EXPECT_THROW(wire::decode_region_ref(ref(0, 0, 1) + "x", 0), ValueError);
  EXPECT_THROW(wire::decode_region_ref(ref(0, 0, 1).substr(0, 15), 0), ValueError);
}

TEST(WireTest, RegionsGrowInPowersOfTwoUntilTheyServeOnePayload) {
  EXPECT_EQ(wire::region_capacity(1), std::size_t{1} << 20);
  EXPECT_EQ(wire::region_capacity((std::size_t{1} << 20) + 1), std::size_t{2} << 20);
  EXPECT_EQ(wire::region_capacity(wire::kMaxReusedRegion), wire::kMaxReusedRegion);
  EXPECT_EQ(wire::region_capacity(wire::kMaxReusedRegion + 1), wire::kMaxReusedRegion + 1);
}

TEST(ByteReaderTest, AStringLongerThanTheBytesLeftIsRefusedAndNothingIsConsumed) {
  std::string bytes(8, '\0');
  bytes[0] = 9;  // a length of 9 with 3 bytes behind it
  bytes += "abc";
  detail::ByteReader in(bytes);
  EXPECT_THROW(in.string(), ValueError);
  EXPECT_EQ(in.remaining(), bytes.size());
  bytes[0] = 3;
  detail::ByteReader whole(bytes);
  EXPECT_EQ(whole.string(), "abc");
  EXPECT_TRUE(whole.empty());
  EXPECT_NO_THROW(whole.expect_end("a string"));
}

TEST(ByteArchiveTest, TruncatedInputThrowsValueErrorAtEveryLength) {
  const std::string whole =
      to_bytes(std::map<std::string, std::vector<int>>{{"a", {1, 2, 3}}, {"bb", {}}, {"ccc", {4}}});
  EXPECT_EQ((from_bytes<std::map<std::string, std::vector<int>>>(whole)).size(), 3u);
  for (std::size_t n = 0; n < whole.size(); ++n) {
    EXPECT_THROW((from_bytes<std::map<std::string, std::vector<int>>>(whole.substr(0, n))),
                 ValueError)
        << "length " << n;
  }
}

TEST(ByteArchiveTest, AHugeLengthPrefixIsRefusedWithoutAllocating) {
  std::string bytes(8, '\xff');  // a size prefix of 2^64 - 1
  EXPECT_THROW(from_bytes<std::string>(bytes), ValueError);
  EXPECT_THROW(from_bytes<std::vector<std::uint64_t>>(bytes), ValueError);
  EXPECT_THROW((from_bytes<std::vector<std::vector<int>>>(bytes)), ValueError);
}

TEST(ByteArchiveTest, ReaderNeverReadsPastItsEnd) {
  const std::string bytes = "abcd";
  detail::ByteReader reader(bytes);
  char two[2];
  reader.read(two, 2);
  EXPECT_EQ(reader.remaining(), 2u);
  char three[3];
  EXPECT_THROW(reader.read(three, 3), ValueError);
  EXPECT_EQ(reader.remaining(), 2u);  // a failed read consumed nothing
}

// Found by the from_bytes fuzzer: a bool's byte other than 0 or 1 (here
// std::optional's engaged flag) was undefined behaviour, and cereal's own
// errors (a variant index out of range) escaped as cereal::Exception.
TEST(ByteArchiveTest, VectorsOfMonostateRoundTripAndTheirLengthsAreChecked) {
  const std::vector<std::monostate> three(3);
  const std::string bytes = to_bytes(three);
  EXPECT_EQ(from_bytes<std::vector<std::monostate>>(bytes).size(), 3u);
  // A length with no bytes behind it, and an element that is not a zero.
  EXPECT_THROW(from_bytes<std::vector<std::monostate>>(to_bytes(std::uint64_t{1} << 40)),
               ValueError);
  std::string corrupt = bytes;
  corrupt.back() = 'x';
  EXPECT_THROW(from_bytes<std::vector<std::monostate>>(corrupt), ValueError);
}

TEST(ByteArchiveTest, ABoolStoredAsAnythingButZeroOrOneIsRefused) {
  EXPECT_THROW(from_bytes<bool>(std::string(1, '\x02')), ValueError);
  EXPECT_TRUE(from_bytes<bool>(std::string(1, '\x01')));
  EXPECT_THROW(from_bytes<std::optional<int>>(std::string("\x4c\0\0\0\0", 5)), ValueError);
  EXPECT_EQ(from_bytes<std::optional<int>>(to_bytes(std::optional<int>(3))), 3);
  EXPECT_THROW(from_bytes<std::vector<bool>>(to_bytes(std::uint64_t{1}) + "\x07"), ValueError);
}

TEST(ByteArchiveTest, CerealsOwnErrorsComeOutAsValueError) {
  std::string bad_index = to_bytes(std::variant<int, std::string>(5));
  bad_index[0] = '\x09';  // the index of an alternative that does not exist
  EXPECT_THROW((from_bytes<std::variant<int, std::string>>(bad_index)), ValueError);
  EXPECT_EQ((from_bytes<std::vector<int>>(to_bytes(std::vector<int>()))).size(), 0u);
}

int marker(int x) {
  return x + 1;
}

TEST(CodeAddressTest, AFunctionRoundTripsThroughItsAddress) {
  const detail::CodeAddress address =
      detail::locate_code(reinterpret_cast<std::uintptr_t>(&marker));
  EXPECT_NE(address.module_key, 0u);
  const auto back = reinterpret_cast<int (*)(int)>(detail::resolve_code(address));
  EXPECT_EQ(back, &marker);
  EXPECT_EQ(back(1), 2);
}

TEST(CodeAddressTest, ForeignOrOutOfRangeAddressesAreRefused) {
  detail::CodeAddress address = detail::locate_code(reinterpret_cast<std::uintptr_t>(&marker));
  detail::CodeAddress other_module = address;
  other_module.module_key ^= 0x5a5a5a5a5a5a5a5aULL;
  EXPECT_THROW(detail::resolve_code(other_module), ValueError);
  detail::CodeAddress past_the_code = address;
  past_the_code.offset = ~std::uint64_t{0} >> 1;
  EXPECT_THROW(detail::resolve_code(past_the_code), ValueError);
  int data = 0;
  EXPECT_THROW(detail::locate_code(reinterpret_cast<std::uintptr_t>(&data)), ValueError);
}

}  // namespace
}  // namespace concur
