# 300_http_helpers.pm — shared by the HTTP API's TAP tests (3xx_http_*.pl):
# a server whose HTTP worker listens on 127.0.0.1 (a free port), its deploy
# worker pointed at the Marathon emulator, the test roles, and an HTTP client
# (HTTP::Tiny, JSON::PP: core modules only).
package HttpTest;

use strict;
use warnings;
use Carp;
use HTTP::Tiny;
use JSON::PP;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

require "$FindBin::Bin/100_registry_helpers.pm";

my $json = JSON::PP->new->canonical(1)->allow_nonref(1)->utf8(1);
sub json { return $json; }

# Passwords of the test roles (alice: owner, bob: another registry user,
# carol: registry admin, dave: no registry role).
our %PW = (alice => 'alice-pw', bob => 'bob-pw', carol => 'carol-pw', dave => 'dave-pw');

# A server with the HTTP worker on 127.0.0.1:<free port>; returns ($node, $base).
sub new_node
{
	my ($name, $emu, %conf) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $node = RegistryTest::new_node($name, $emu,
		'automl.http_listen' => "'127.0.0.1:$port'", %conf);
	$node->safe_psql('postgres', q{
		SET password_encryption = 'scram-sha-256';
		CREATE ROLE alice LOGIN PASSWORD 'alice-pw' IN ROLE automl_registry_user;
		CREATE ROLE carol LOGIN PASSWORD 'carol-pw' IN ROLE automl_registry_admin;
		CREATE ROLE dave LOGIN PASSWORD 'dave-pw';
		SET password_encryption = 'md5';
		CREATE ROLE bob LOGIN PASSWORD 'bob-pw' IN ROLE automl_registry_user;
	});
	my $base = "http://127.0.0.1:$port";
	RegistryTest::wait_until('the HTTP worker to listen', sub {
		my $r = HTTP::Tiny->new(timeout => 5)->get("$base/openapi.json");
		return $r->{status} == 200;
	});
	return ($node, $base);
}

# req($base, METHOD, path, user, body) -> {status, json, headers, content}
# user undef: no credentials; body: a Perl structure (encoded) or a string.
sub req
{
	my ($base, $method, $path, $user, $body, %opt) = @_;
	my %headers = ('Content-Type' => 'application/json');
	if (defined $user)
	{
		my $pw = $opt{password} // $PW{$user} // 'x';
		$headers{Authorization} = 'Basic ' . encode_base64("$user:$pw", '');
	}
	%headers = (%headers, %{ $opt{headers} // {} });
	my %args = (headers => \%headers);
	$args{content} = ref($body) ? $json->encode($body) : $body if defined $body;
	my $res = HTTP::Tiny->new(timeout => 60)->request($method, $base . $path, \%args);
	my $decoded;
	if (($res->{headers}{'content-type'} // '') =~ m{^application/json} && length($res->{content}))
	{
		$decoded = eval { $json->decode($res->{content}) };
		fail("$method $path: the body is not JSON: $res->{content}") unless defined $decoded;
	}
	return { status => $res->{status}, json => $decoded, headers => $res->{headers},
		content => $res->{content} };
}

1;
