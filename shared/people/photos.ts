// Shared by the API and the browser: where a stored photo is served.

/** The URL of a person's stored photo (the API serves DATA_DIR/users at /data/users). */
export function photoUrl(person: string, photo: string): string {
  return `/data/users/${encodeURIComponent(person)}/${encodeURIComponent(photo)}`
}
