package dev.mainstay.review;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** No review with that id in the caller's account (another account's review is reported the same way). */
public final class ReviewNotFoundException extends MainstayException {
    public ReviewNotFoundException(String reviewId) {
        super(ErrorCode.NOT_FOUND, "no review '" + reviewId + "' in this account", null, false);
    }
}
