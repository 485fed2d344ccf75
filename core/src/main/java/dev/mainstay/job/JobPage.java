package dev.mainstay.job;

import java.util.List;
import java.util.Optional;

/** One page of jobs and the cursor for the next one, absent on the last page. */
public record JobPage(List<Job> jobs, Optional<String> nextCursor) {
    public JobPage {
        jobs = List.copyOf(jobs);
    }
}
