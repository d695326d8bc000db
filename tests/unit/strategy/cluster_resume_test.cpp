// Resuming a suspended cluster (resume_and_wait) and the pure recovery rules of recovery.hpp:
// what a failed call means, the backoff delay, and when a lost query may run again.
#include "strategy/cluster_resume.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e6data/errors.hpp"
#include "strategy/fake_clock.hpp"
#include "strategy/recovery.hpp"

namespace e6data::strategy {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

// A ClusterService that answers `statuses` in turn (the last one for ever after) and records
// the calls.
struct ScriptedCluster {
  std::vector<std::string> statuses;
  std::size_t next = 0;
  int status_calls = 0;
  int resume_calls = 0;
  std::vector<TimePoint> deadlines;
  std::vector<TimePoint> resume_times;

  ClusterCalls calls(const FakeClock& clock) {
    ClusterCalls c;
    c.status = [this](TimePoint deadline) {
      ++status_calls;
      deadlines.push_back(deadline);
      const std::string s = statuses[std::min(next, statuses.size() - 1)];
      ++next;
      return s;
    };
    c.resume = [this, &clock](TimePoint deadline) {
      ++resume_calls;
      deadlines.push_back(deadline);
      resume_times.push_back(clock.now());
      return std::string("resuming");
    };
    return c;
  }
};

class ClusterResumeTest : public ::testing::Test {
 protected:
  std::string resume(Duration timeout = 60s, Duration poll = 1s) {
    return resume_and_wait(cluster.calls(clock), clock, clock.now() + timeout, poll).status;
  }

  FakeClock clock;
  ScriptedCluster cluster;
};

TEST_F(ClusterResumeTest, ActiveAtOnceNeedsNoResume) {
  cluster.statuses = {"active"};
  EXPECT_EQ(resume(), "active");
  EXPECT_EQ(cluster.status_calls, 1);
  EXPECT_EQ(cluster.resume_calls, 0);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(ClusterResumeTest, SuspendedIsResumedOnceAndPolledUntilActive) {
  cluster.statuses = {"suspended", "suspended", "resuming", "resuming", "active"};
  const TimePoint start = clock.now();
  EXPECT_EQ(resume(60s, 2s), "active");
  EXPECT_EQ(cluster.resume_calls, 1) << "asked once, although the next poll still said suspended";
  EXPECT_EQ(cluster.status_calls, 5);
  ASSERT_EQ(cluster.resume_times.size(), 1u);
  EXPECT_EQ(cluster.resume_times[0], start);
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 4u);
  for (const auto& s : sleeps) EXPECT_EQ(s.length(), 2s);
  EXPECT_EQ(clock.now(), start + 8s);
  // Every call carries the resume deadline.
  for (const TimePoint d : cluster.deadlines) EXPECT_EQ(d, start + 60s);
}

TEST_F(ClusterResumeTest, SuspendingIsResumedToo) {
  cluster.statuses = {"suspending", "resuming", "active"};
  EXPECT_EQ(resume(), "active");
  EXPECT_EQ(cluster.resume_calls, 1);
}

TEST_F(ClusterResumeTest, AlreadyResumingIsOnlyPolled) {
  cluster.statuses = {"resuming", "resuming", "active"};
  EXPECT_EQ(resume(), "active");
  EXPECT_EQ(cluster.resume_calls, 0);
  EXPECT_EQ(cluster.status_calls, 3);
  EXPECT_EQ(clock.sleeps().size(), 2u);
}

TEST_F(ClusterResumeTest, FailedIsAClusterSuspendedError) {
  cluster.statuses = {"failed"};
  try {
    resume();
    FAIL() << "expected ClusterSuspendedError";
  } catch (const ClusterSuspendedError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kClusterSuspended);
    EXPECT_NE(std::string(e.what()).find("failed"), std::string::npos);
  }
  EXPECT_EQ(cluster.resume_calls, 0);
}

TEST_F(ClusterResumeTest, FailedWhileResumingIsAClusterSuspendedError) {
  cluster.statuses = {"suspended", "resuming", "failed"};
  EXPECT_THROW(resume(), ClusterSuspendedError);
  EXPECT_EQ(cluster.resume_calls, 1);
  EXPECT_EQ(cluster.status_calls, 3);
}

TEST_F(ClusterResumeTest, TimeoutNamesTheLastStatusAndNeverSleepsPastTheDeadline) {
  cluster.statuses = {"suspended", "resuming"};
  const TimePoint start = clock.now();
  const TimePoint deadline = start + 10s;
  try {
    resume(10s, 3s);
    FAIL() << "expected ClusterSuspendedError";
  } catch (const ClusterSuspendedError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kClusterSuspended);
    EXPECT_NE(std::string(e.what()).find("last status 'resuming'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cluster.resume_calls, 1);
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 3u);  // 3, 6, 9 s; a fourth poll would be at 12 s
  for (const auto& s : sleeps) EXPECT_LT(s.until, deadline);
  EXPECT_EQ(clock.now(), start + 9s);
  EXPECT_EQ(cluster.status_calls, 4);
}

TEST_F(ClusterResumeTest, TimeoutWhileStillSuspendedNamesIt) {
  cluster.statuses = {"suspended"};
  try {
    resume(1s, 5s);
    FAIL() << "expected ClusterSuspendedError";
  } catch (const ClusterSuspendedError& e) {
    EXPECT_NE(std::string(e.what()).find("last status 'suspended'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cluster.resume_calls, 1);
  EXPECT_TRUE(clock.sleeps().empty());
}

// ---------------------------------------------------------------------------------------------
// recovery.hpp: the errors as src/rpc/failure.cpp builds them from gRPC statuses.

ErrorContext context(FailureCause cause) {
  ErrorContext c;
  c.cause = cause;
  return c;
}

TEST(Recovery, ForEachCauseOfFailure) {
  EXPECT_EQ(recovery_for(FailureCause::kWrongDeployment), Recovery::kWrongDeployment);
  EXPECT_EQ(recovery_for(FailureCause::kRouter503), Recovery::kSuspended);
  EXPECT_EQ(recovery_for(FailureCause::kSessionLost), Recovery::kSessionLost);
  EXPECT_EQ(recovery_for(FailureCause::kUnavailable), Recovery::kTransient);
  for (const FailureCause c :
       {FailureCause::kNone, FailureCause::kDeadline, FailureCause::kCancelled,
        FailureCause::kUnauthenticated, FailureCause::kRefused, FailureCause::kUnimplemented,
        FailureCause::kOther}) {
    EXPECT_EQ(recovery_for(c), Recovery::kNone) << to_string(c);
  }
  // Decided on the cause only: the type, kind, retryable flag and text of an error are not read.
  EXPECT_EQ(recovery_for(QueryError(ErrorKind::kQuery, "Received http2 header with status: 456",
                                    context(FailureCause::kRefused))),
            Recovery::kNone);
  EXPECT_EQ(recovery_for(ClusterSuspendedError(ErrorKind::kClusterSuspended, "suspended")),
            Recovery::kNone);
  EXPECT_EQ(recovery_for(Error(ErrorKind::kInternal, "x", context(FailureCause::kSessionLost))),
            Recovery::kSessionLost);
}

TEST(Recovery, BackoffDoublesFromTheFactorScaledByJitter) {
  using std::chrono::nanoseconds;
  const std::chrono::duration<double> factor(0.2);
  EXPECT_EQ(backoff_delay(1, factor, 1.0), nanoseconds(200'000'000));
  EXPECT_EQ(backoff_delay(2, factor, 1.0), nanoseconds(400'000'000));
  EXPECT_EQ(backoff_delay(3, factor, 1.0), nanoseconds(800'000'000));
  EXPECT_EQ(backoff_delay(4, factor, 1.0), nanoseconds(1'600'000'000));
  EXPECT_EQ(backoff_delay(3, factor, 0.5), nanoseconds(400'000'000));
  EXPECT_EQ(backoff_delay(1, std::chrono::duration<double>(1.0), 0.75), nanoseconds(750'000'000));
  // Jitter is clamped to [0.5, 1].
  EXPECT_EQ(backoff_delay(1, factor, 0.0), backoff_delay(1, factor, 0.5));
  EXPECT_EQ(backoff_delay(1, factor, 7.0), backoff_delay(1, factor, 1.0));
  // Retry numbers below 1 count as the first; huge ones stop doubling (no overflow).
  EXPECT_EQ(backoff_delay(0, factor, 1.0), backoff_delay(1, factor, 1.0));
  EXPECT_EQ(backoff_delay(-3, factor, 1.0), backoff_delay(1, factor, 1.0));
  EXPECT_EQ(backoff_delay(1000, factor, 1.0), backoff_delay(31, factor, 1.0));
  EXPECT_GT(backoff_delay(31, factor, 1.0), backoff_delay(30, factor, 1.0));
  EXPECT_GT(backoff_delay(31, factor, 1.0).count(), 0);
  // Monotone in the retry number for a fixed jitter.
  for (int n = 1; n < 31; ++n) {
    EXPECT_LT(backoff_delay(n, factor, 0.6), backoff_delay(n + 1, factor, 0.6)) << n;
  }
}

constexpr FailureCause kAllCauses[] = {
    FailureCause::kWrongDeployment, FailureCause::kRouter503, FailureCause::kSessionLost,
    FailureCause::kUnavailable,     FailureCause::kDeadline,  FailureCause::kCancelled,
    FailureCause::kUnauthenticated, FailureCause::kRefused,   FailureCause::kUnimplemented,
    FailureCause::kOther,           FailureCause::kNone};

TEST(QueryFate, AStatementWithSideEffectsRunsAgainOnlyWhenTheRouterRefusedIt) {
  // Every cause, at every stage, with and without rows seen: a write is re-run only when its
  // execute was refused by the router in an exact 456/503 form.
  for (const FailureCause cause : kAllCauses) {
    for (const QueryStage stage :
         {QueryStage::kExecute, QueryStage::kMetadata, QueryStage::kResult}) {
      for (const bool rows : {false, true}) {
        const QueryVerdict v = judge_failed_query(cause, stage, /*is_read=*/false, rows, 0);
        const bool expected = stage == QueryStage::kExecute && refused_by_router(cause);
        EXPECT_EQ(v == QueryVerdict::kRerun, expected)
            << to_string(cause) << " stage " << static_cast<int>(stage) << " rows " << rows;
      }
    }
  }
}

TEST(QueryFate, AWriteWhoseExecuteBrokeHasAnUnknownOutcome) {
  for (const FailureCause cause : {FailureCause::kSessionLost, FailureCause::kUnavailable}) {
    EXPECT_EQ(judge_failed_query(cause, QueryStage::kExecute, false, false, 0),
              QueryVerdict::kOutcomeUnknown)
        << to_string(cause);
  }
  // Its own error when the server answered it (bad SQL, a trigger's failure, a deadline).
  for (const FailureCause cause : {FailureCause::kRefused, FailureCause::kOther,
                                   FailureCause::kDeadline, FailureCause::kCancelled}) {
    EXPECT_EQ(judge_failed_query(cause, QueryStage::kExecute, false, false, 0),
              QueryVerdict::kReport)
        << to_string(cause);
  }
}

TEST(QueryFate, AReadRunsAgainOnlyWhileItsRowsAreUnseen) {
  for (const FailureCause cause : {FailureCause::kWrongDeployment, FailureCause::kRouter503,
                                   FailureCause::kSessionLost, FailureCause::kUnavailable}) {
    for (const QueryStage stage : {QueryStage::kExecute, QueryStage::kResult}) {
      EXPECT_EQ(judge_failed_query(cause, stage, true, false, 0), QueryVerdict::kRerun)
          << to_string(cause);
    }
    EXPECT_NE(judge_failed_query(cause, QueryStage::kResult, true, true, 0), QueryVerdict::kRerun)
        << to_string(cause);
  }
  // A deadline, a cancel, a server's own failure: never a silent re-run.
  for (const FailureCause cause : {FailureCause::kDeadline, FailureCause::kCancelled,
                                   FailureCause::kOther, FailureCause::kRefused}) {
    EXPECT_EQ(judge_failed_query(cause, QueryStage::kResult, true, false, 0), QueryVerdict::kReport)
        << to_string(cause);
  }
}

TEST(QueryFate, AWriteThatRanKeepsItsSuccessWhenOnlyItsMetadataIsLost) {
  for (const FailureCause cause : {FailureCause::kWrongDeployment, FailureCause::kSessionLost,
                                   FailureCause::kUnavailable, FailureCause::kRouter503}) {
    EXPECT_EQ(judge_failed_query(cause, QueryStage::kMetadata, false, false, 0),
              QueryVerdict::kRanResultLost)
        << to_string(cause);
  }
  EXPECT_EQ(judge_failed_query(FailureCause::kOther, QueryStage::kMetadata, false, false, 0),
            QueryVerdict::kReport);
  // A read in the same place runs again (its rows were not seen).
  EXPECT_EQ(
      judge_failed_query(FailureCause::kWrongDeployment, QueryStage::kMetadata, true, false, 0),
      QueryVerdict::kRerun);
}

TEST(QueryFate, RerunsAreBounded) {
  EXPECT_EQ(judge_failed_query(FailureCause::kWrongDeployment, QueryStage::kExecute, false, false,
                               kMaxReruns),
            QueryVerdict::kLost);
  EXPECT_EQ(
      judge_failed_query(FailureCause::kUnavailable, QueryStage::kResult, true, false, kMaxReruns),
      QueryVerdict::kReport);
  EXPECT_EQ(
      judge_failed_query(FailureCause::kSessionLost, QueryStage::kResult, true, false, kMaxReruns),
      QueryVerdict::kLost);
}

}  // namespace
}  // namespace e6data::strategy
