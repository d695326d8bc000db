// The support bundle's parts that need no network: secrets removed in every encoding, the
// environment masked, log tails, and the tar archive's format.

#include "support_bundle.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace e6data::cli {
namespace {

const std::string kToken = "s3cr3t/Tok3n+=&%~\"x\\y";

TEST(SupportBundle, Base64MatchesTheStandard) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob", false, false), "Zm9vYg");
  EXPECT_EQ(base64("\xfb\xff\xbf", true), "-_-_");
  EXPECT_EQ(base64("\xfb\xff\xbf"), "+/+/");
}

TEST(SupportBundle, EveryEncodingOfTheSecretIsRedacted) {
  SecretRedactor r;
  r.add(kToken);
  r.add("");  // ignored
  const std::vector<std::string> leaks = {
      kToken,
      "s3cr3t%2FTok3n%2B%3D%26%25~%22x%5Cy",  // URL-encoded
      "s3cr3t%2fTok3n%2b%3d%26%25~%22x%5cy",  // lower-case hex digits
      "733363723374",                         // hex, the token's first bytes...
  };
  for (const auto& leak : leaks) {
    EXPECT_EQ(r.scrub("a " + leak + " b").find("s3cr3t"), std::string::npos) << leak;
  }
  // Hex (both cases), JSON, and base64 at every alignment inside a longer text, as in an HTTP
  // Basic header, with both alphabets.
  std::string hex;
  for (unsigned char c : kToken) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", c);
    hex += two;
  }
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string> texts = {"hex " + hex, "HEX " + upper,
                                    R"({"token":"s3cr3t/Tok3n+=&%~\"x\\y"})"};
  for (const std::string prefix : {"", "u:", "us:", "usr:"}) {
    texts.push_back("Authorization: Basic " + base64(prefix + kToken + ":tail"));
    texts.push_back("url-safe " + base64(prefix + kToken, true, false));
  }
  for (const auto& text : texts) {
    const std::string scrubbed = r.scrub(text);
    EXPECT_NE(scrubbed.find("[REDACTED]"), std::string::npos) << text;
    EXPECT_TRUE(r.clean(scrubbed)) << text << " -> " << scrubbed;
  }
  // The token's own base64 no longer appears in any alignment.
  for (const std::string prefix : {"", "u:", "us:"}) {
    const std::string scrubbed = r.scrub(base64(prefix + kToken));
    EXPECT_EQ(scrubbed.find(base64(kToken).substr(0, 8)), std::string::npos) << scrubbed;
  }
  EXPECT_EQ(r.scrub("nothing secret here"), "nothing secret here");
  EXPECT_FALSE(r.clean("x " + kToken));
}

TEST(SupportBundle, ShortSecretsAreRedactedAsWritten) {
  SecretRedactor r;
  r.add("ab");
  EXPECT_EQ(r.scrub("tab key ab"), "t[REDACTED] key [REDACTED]");
  for (const auto& form : r.forms()) EXPECT_GE(form.size(), 2u);
}

TEST(SupportBundle, SecretVariablesAreMasked) {
  EXPECT_TRUE(is_secret_variable("E6DATA_PASSWORD"));
  EXPECT_TRUE(is_secret_variable("E6DATA_ACCESS_TOKEN"));
  EXPECT_TRUE(is_secret_variable("e6data_client_secret"));
  EXPECT_TRUE(is_secret_variable("E6DATA_TLS_PRIVATE_KEY"));
  EXPECT_FALSE(is_secret_variable("E6DATA_HOST"));
  EXPECT_EQ(masked_environment({{"PATH", "/bin"},
                                {"E6DATA_PORT", "443"},
                                {"E6DATA_PASSWORD", "tok"},
                                {"E6DATA_HOST", "h"},
                                {"E6DATA_API_TOKEN", ""}}),
            "E6DATA_API_TOKEN=\nE6DATA_HOST=h\nE6DATA_PASSWORD=***\nE6DATA_PORT=443\n");
}

TEST(SupportBundle, LogTailsStartAtALine) {
  EXPECT_EQ(tail_lines("a\nb\nc\n", 100), "a\nb\nc\n");
  EXPECT_EQ(tail_lines("first line\nsecond\nthird\n", 10), "third\n");
  EXPECT_EQ(tail_lines("0123456789", 4), "6789");
  EXPECT_EQ(tail_lines("abc\n", 0), "");
}

// ustar: 512-byte headers with octal fields and a checksum, data padded to 512, two zero blocks.
TEST(SupportBundle, TheArchiveIsUstar) {
  const std::string tar =
      tar_archive("root", {{"a.txt", "hello"}, {"logs/x.log", std::string(600, 'x')}}, 1700000000);
  ASSERT_EQ(tar.size() % 512, 0u);
  // root/, a.txt (+1 data block), logs/, logs/x.log (+2 data blocks), 2 end blocks.
  EXPECT_EQ(tar.size(), 512u * (1 + 2 + 1 + 3 + 2));
  auto field = [&](std::size_t block, std::size_t at, std::size_t /*len*/) {
    return std::string(tar.c_str() + block * 512 + at);  // NUL-terminated within the field
  };
  EXPECT_EQ(field(0, 0, 100), "root/");
  EXPECT_EQ(tar[156], '5');
  EXPECT_EQ(field(1, 0, 100), "root/a.txt");
  EXPECT_EQ(tar[512 + 156], '0');
  EXPECT_EQ(std::strtoul(field(1, 124, 12).c_str(), nullptr, 8), 5u);
  EXPECT_EQ(std::strtoul(field(1, 100, 8).c_str(), nullptr, 8), 0600u);
  EXPECT_EQ(std::strtoul(field(1, 136, 12).c_str(), nullptr, 8), 1700000000u);
  EXPECT_EQ(field(1, 257, 6), "ustar");
  EXPECT_EQ(tar.substr(1024, 5), "hello");
  EXPECT_EQ(field(3, 0, 100), "root/logs/");
  EXPECT_EQ(field(4, 0, 100), "root/logs/x.log");
  for (std::size_t block : {0u, 1u, 3u, 4u}) {
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(tar[block * 512 + i]);
    }
    EXPECT_EQ(std::strtoul(field(block, 148, 8).c_str(), nullptr, 8), sum) << block;
  }
  EXPECT_EQ(tar.substr(tar.size() - 1024), std::string(1024, '\0'));
}

TEST(SupportBundle, WritesAGzipOrADirectoryPrivately) {
  char pattern[] = "/tmp/e6data-bundle-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  const std::vector<BundleFile> files = {{"a.txt", "hello"}, {"logs/x.log", "line\n"}};
  write_tar_gz(dir + "/b.tar.gz", "root", files, 1700000000);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/b.tar.gz").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(dir + "/b.tar.gz", std::ios::binary);
  const std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1)
      << "no temporary file left behind";

  write_directory(dir + "/d", files);
  ASSERT_EQ(::stat((dir + "/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir + "/d/logs/x.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THROW(write_directory(dir + "/d", files), std::runtime_error) << "never into an old one";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace e6data::cli
