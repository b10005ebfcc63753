# 303_http_tls.pl — the HTTP API over TLS (automl.http_ssl_cert_file and
# automl.http_ssl_key_file): HTTPS answers with the configured certificate,
# credentials are checked the same way, plain HTTP on that port gets no API.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

require "$FindBin::Bin/300_http_helpers.pm";

plan skip_all => 'openssl and curl are needed' unless -x '/usr/bin/openssl' && -x '/usr/bin/curl';

my $dir = PostgreSQL::Test::Utils::tempdir();
system('/usr/bin/openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=automl-test',
	'-days', '2', '-keyout', "$dir/key.pem", '-out', "$dir/cert.pem", '-addext', 'subjectAltName=IP:127.0.0.1') == 0
  or die 'openssl failed';
chmod 0600, "$dir/key.pem";

my $emu = RegistryTest::start_emulator();
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $node = RegistryTest::new_node('http_tls', $emu,
	'automl.http_listen' => "'127.0.0.1:$port'",
	'automl.http_ssl_cert_file' => "'$dir/cert.pem'",
	'automl.http_ssl_key_file' => "'$dir/key.pem'");
$node->safe_psql('postgres', "CREATE ROLE alice LOGIN PASSWORD 'alice-pw' IN ROLE automl_registry_user");

sub curl
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ '/usr/bin/curl', '-s', '-o', '-', '-w', '\n%{http_code}', '--max-time', '20', @args ],
		'>', \$out, '2>', \$err);
	my ($body, $code) = $out =~ /^(.*)\n(\d+)$/s;
	return ($code // '000', $body // '');
}

my $url = "https://127.0.0.1:$port";
RegistryTest::wait_until('the HTTPS listener', sub {
	my ($code) = curl('--cacert', "$dir/cert.pem", "$url/openapi.json");
	return $code eq '200';
});
my ($code, $body) = curl('--cacert', "$dir/cert.pem", "$url/openapi.json");
is($code, '200', 'HTTPS with the configured certificate (verified by curl)');
like($body, qr/"openapi"/, 'serves the API description');
($code) = curl('--cacert', "$dir/cert.pem", "$url/apps");
is($code, '401', 'no credentials over HTTPS: 401');
($code, $body) = curl('--cacert', "$dir/cert.pem", '-u', 'alice:alice-pw', "$url/apps");
is($code, '200', 'signed in over HTTPS');
like($body, qr/"total"/, 'the list of apps');
($code) = curl("http://127.0.0.1:$port/apps");
isnt($code, '200', "plain HTTP on the TLS port gets no answer from the API ($code)");
like(slurp_file($node->logfile), qr/automl http worker listening on 127\.0\.0\.1:\d+ \(https\)/, 'the log says https');

$node->stop;
done_testing();
